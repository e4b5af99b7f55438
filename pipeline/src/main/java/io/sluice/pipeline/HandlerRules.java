package io.sluice.pipeline;

import io.sluice.pipeline.rules.Filter;

/**
 * One generation of the rules as one handler applies them: its filter (with that handler's hit counters) and its
 * actor. Built off the data path, by the pipeline at the start and by a reload; immutable once handed over.
 *
 * @param generation the XDP rules' generation these go with: a frame stamped with it is judged by them.
 * @param filter     the filter.
 * @param actor      the actor.
 */
record HandlerRules(long generation, Filter filter, FrameActor actor)
{
}
