/**
 * The machinery behind {@link io.coremanager.CoreManager}: lanes (a queue and a pinned carrier
 * each), their queue, the task types, and the hook into the JDK that gives virtual threads a lane
 * as scheduler. Not exported by the module: nothing here is API.
 *
 * <p>Uses {@link io.coremanager.affinity.Affinity} to pin carriers; knows nothing of topology.
 */
package io.coremanager.scheduling;
