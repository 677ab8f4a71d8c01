package io.coremanager.testing;

import io.coremanager.CoreManager;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * Run in a fresh JVM: the first virtual-thread socket I/O of the JVM happens in a core-affine
 * virtual thread; after the manager closes, socket I/O on the default scheduler must still work
 * and no late carrier may have been needed (the JDK's pollers must not live on the lane).
 */
public final class PollerProbe {

    private PollerProbe() {
    }

    public static void main(String[] args) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofPlatform().daemon(true).start(() -> {
                while (true) {
                    try (Socket s = server.accept()) {
                        s.getInputStream().transferTo(s.getOutputStream());
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            try (CoreManager cores = CoreManager.create()) {
                cores.go(cores.cpus().first(), () -> echo(server)).join();
            }
            Thread.ofVirtual().start(() -> echo(server)).join();
            Thread.sleep(100);
            boolean late = Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().endsWith("-late"));
            System.out.println("late carrier needed: " + late);
        }
    }

    private static void echo(ServerSocket server) {
        try (Socket s = new Socket(server.getInetAddress(), server.getLocalPort())) {
            s.getOutputStream().write(42);
            System.out.println("echo " + s.getInputStream().read() + " on " + Thread.currentThread());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
