package io.coremanager.examples;

import io.coremanager.ConnectionPlacement;
import io.coremanager.CoreManager;
import io.coremanager.LaneServerSocket;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * An echo server on lane-local I/O, the README's ten lines: the first lane accepts, connections go
 * to the lanes in turn, and each is served by plain blocking stream code in a core-affine virtual
 * thread whose reads and writes are resumed by its own lane's poll, on its CPU.
 */
public final class LaneEchoServer {

    private LaneEchoServer() {
    }

    /**
     * Starts the echo server on {@code cores}.
     *
     * @param cores the manager whose lanes serve
     * @param address where to listen (port 0 for any free port)
     * @return the listening socket; close it (or the manager) to stop
     * @throws IOException if it cannot listen
     */
    public static LaneServerSocket start(CoreManager cores, InetSocketAddress address) throws IOException {
        return cores.serve(cores.cpus().first(), address, ConnectionPlacement.roundRobin(cores.cpus()),
                socket -> socket.inputStream().transferTo(socket.outputStream()));
    }

    /**
     * Serves on 127.0.0.1, port {@code args[0]} (default 7007), until killed.
     *
     * @param args the port
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        try (CoreManager cores = CoreManager.builder().build()) {
            LaneServerSocket server = cores.serve(cores.cpus().first(),
                    new InetSocketAddress("127.0.0.1", args.length > 0 ? Integer.parseInt(args[0]) : 7007),
                    ConnectionPlacement.roundRobin(cores.cpus()),
                    socket -> socket.inputStream().transferTo(socket.outputStream()));
            System.out.println("echo on " + server.localAddress() + ", lanes " + cores.cpus());
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
