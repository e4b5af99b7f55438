/**
 * The rules file and the user-space filter. {@link io.sluice.pipeline.rules.RulesFile} reads the human-edited YAML
 * file into {@link io.sluice.pipeline.rules.Rules}: the XDP steering rules (which packets reach user space) and the
 * {@link io.sluice.pipeline.rules.RuleSet} of {@link io.sluice.pipeline.rules.FilterRule}s (what Sluice does with
 * them). A {@link io.sluice.pipeline.rules.Filter}, one per handler thread, matches each
 * {@link io.sluice.pipeline.FrameEvent} against that rule set without allocating and counts the hits of each rule.
 */
package io.sluice.pipeline.rules;
