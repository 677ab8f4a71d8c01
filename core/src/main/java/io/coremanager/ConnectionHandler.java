package io.coremanager;

/**
 * Serves one connection accepted by {@link CoreManager#serve}: it runs in a core-affine virtual
 * thread of the lane that owns {@code socket}, with ordinary blocking code.
 */
@FunctionalInterface
public interface ConnectionHandler {

    /**
     * Serves {@code socket} until done; the socket is closed when this returns or throws. An
     * {@link java.io.IOException} ends the connection quietly (a peer that resets or goes away is
     * ordinary for a server); anything else thrown goes to the manager's uncaught-exception handler.
     *
     * @param socket the connection, owned by the calling thread's lane
     * @throws Exception anything; see above
     */
    void handle(LaneSocket socket) throws Exception;
}
