/**
 * Reading the human-edited YAML files: the rules file and the NIC profiles.
 * {@link io.sluice.pipeline.yaml.YamlReader} composes a document with snakeyaml-engine's node API, which keeps every
 * value's line and its text as written, and reads keys, text, numbers, booleans and lists from it;
 * {@link io.sluice.pipeline.yaml.FieldReader} reads values over it with the profiles' wording,
 * {@code FIELD: why (allowed: values)}, CPU lists included. Every problem,
 * YAML syntax included, is a {@link io.sluice.pipeline.yaml.ConfigFileException} of one line,
 * {@code FILE:LINE: problem}, of the subclass the file's loader asks for.
 */
package io.sluice.pipeline.yaml;
