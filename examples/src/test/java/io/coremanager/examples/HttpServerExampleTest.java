package io.coremanager.examples;

import io.coremanager.CoreManager;
import io.coremanager.affinity.Affinity;
import io.coremanager.examples.HttpServerExample.Mode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The HTTP server example in both modes, over real loopback connections, with a raw HTTP client. */
@Timeout(60)
class HttpServerExampleTest {

    private static final InetSocketAddress ANY_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @ParameterizedTest
    @EnumSource(Mode.class)
    void theRoutesAnswer(Mode mode) throws Exception {
        try (HttpServerExample server = HttpServerExample.start(mode, ANY_PORT, null);
             Client client = new Client(server)) {
            Reply hello = client.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertThat(hello.status).isEqualTo(200);
            assertThat(hello.body()).isEqualTo("Hello, World!\n");
            assertThat(hello.headers.get("content-type")).startsWith("text/plain");

            Reply cpu = client.send("GET /cpu?verbose=no HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertThat(cpu.status).isEqualTo(200);
            assertThat(Integer.parseInt(cpu.body().strip())).isGreaterThanOrEqualTo(-1);

            Reply echo = client.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 17\r\n\r\n{\"hello\": \"lane\"}");
            assertThat(echo.status).isEqualTo(200);
            assertThat(echo.body()).isEqualTo("{\"hello\": \"lane\"}");
            assertThat(echo.headers.get("content-type")).isEqualTo("application/json");

            Reply empty = client.send("POST /echo HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertThat(empty.status).isEqualTo(200);
            assertThat(empty.body()).isEmpty();

            assertThat(client.send("GET /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n").status).isEqualTo(404);
            Reply wrongMethod = client.send("POST /hello HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n");
            assertThat(wrongMethod.status).isEqualTo(405);
            assertThat(wrongMethod.headers.get("allow")).isEqualTo("GET");
            assertThat(client.send("GET /echo HTTP/1.1\r\nHost: localhost\r\n\r\n").headers.get("allow")).isEqualTo("POST");
            assertThat(client.closedByServer()).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void keepAliveServesManyRequestsOnOneConnection(Mode mode) throws Exception {
        try (HttpServerExample server = HttpServerExample.start(mode, ANY_PORT, null);
             Client client = new Client(server)) {
            for (int i = 0; i < 20; i++) {
                String body = "request " + i;
                Reply reply = i % 2 == 0
                        ? client.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
                        : client.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + body.length()
                                + "\r\n\r\n" + body);
                assertThat(reply.status).isEqualTo(200);
                assertThat(reply.body()).isEqualTo(i % 2 == 0 ? "Hello, World!\n" : body);
                assertThat(reply.headers).doesNotContainKey("connection");
            }
            // Pipelined: two requests in one write, two responses in order.
            client.write("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\nPOST /echo HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Length: 2\r\n\r\nok");
            assertThat(client.read().body()).isEqualTo("Hello, World!\n");
            assertThat(client.read().body()).isEqualTo("ok");
            assertThat(client.closedByServer()).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void connectionCloseClosesAfterTheResponse(Mode mode) throws Exception {
        try (HttpServerExample server = HttpServerExample.start(mode, ANY_PORT, null)) {
            try (Client client = new Client(server)) {
                Reply reply = client.send("GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
                assertThat(reply.status).isEqualTo(200);
                assertThat(reply.headers.get("connection")).isEqualTo("close");
                assertThat(client.closedByServer()).isTrue();
            }
            try (Client client = new Client(server)) { // HTTP/1.0 closes unless asked to keep alive
                Reply reply = client.send("GET /hello HTTP/1.0\r\n\r\n");
                assertThat(reply.status).isEqualTo(200);
                assertThat(client.closedByServer()).isTrue();
            }
            try (Client client = new Client(server)) {
                for (int i = 0; i < 3; i++) {
                    Reply reply = client.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
                    assertThat(reply.headers.get("connection")).isEqualTo("keep-alive");
                }
                assertThat(client.closedByServer()).isFalse();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "GARBAGE\r\n\r\n",
            "GET /hello\r\nHost: localhost\r\n\r\n",
            "GET  /hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
            "GET hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
            "G(T /hello HTTP/1.1\r\nHost: localhost\r\n\r\n",
            "GET /hello HTTP/1.1\r\n\r\n",
            "GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "GET /hello HTTP/1.1\r\nHost: localhost\r\nno colon here\r\n\r\n",
            "GET /hello HTTP/1.1\r\nHost: localhost\r\nName : space before the colon\r\n\r\n",
            "GET /hello HTTP/1.1\r\nHost: localhost\r\nX-Folded: a\r\n  b\r\n\r\n",
            "GET /hello HTTP/1.1\r\nHost: local\rhost\r\n\r\n",
            "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n",
            "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n",
            "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
            "GET /hello HTTQ/1.1\r\nHost: localhost\r\n\r\n",
    })
    void aMalformedRequestGets400AndTheConnectionCloses(String request) throws Exception {
        for (Mode mode : Mode.values()) {
            try (HttpServerExample server = HttpServerExample.start(mode, ANY_PORT, null);
                 Client client = new Client(server)) {
                Reply reply = client.send(request);
                assertThat(reply.status).as(mode + ": " + request).isEqualTo(400);
                assertThat(reply.headers.get("connection")).isEqualTo("close");
                assertThat(client.closedByServer()).isTrue();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void tooLargeOrUnsupportedRequestsAreRefused(Mode mode) throws Exception {
        try (HttpServerExample server = HttpServerExample.start(mode, ANY_PORT, null)) {
            String huge = "GET /hello HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "x".repeat(HttpServerExample.MAX_HEAD_BYTES) + "\r\n\r\n";
            assertRefused(server, huge, 431);
            assertRefused(server, "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
                    + (HttpServerExample.MAX_BODY_BYTES + 1) + "\r\n\r\n", 413);
            assertRefused(server, "POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501);
            assertRefused(server, "GET /hello HTTP/2.0\r\nHost: localhost\r\n\r\n", 505);
            // A head just under the limit is fine.
            try (Client client = new Client(server)) {
                String prefix = "GET /hello HTTP/1.1\r\nHost: localhost\r\nX-Big: ";
                String fits = prefix + "x".repeat(HttpServerExample.MAX_HEAD_BYTES - prefix.length() - 6) + "\r\n\r\n";
                assertThat(client.send(fits).status).isEqualTo(200);
            }
        }
    }

    @Test
    void cpuAnswersWithTheServingLanesCpu() throws Exception {
        try (HttpServerExample server = HttpServerExample.start(Mode.LANE, ANY_PORT, null)) {
            CoreManager cores = server.cores().orElseThrow();
            int[] cpus = cores.cpus().toArray();
            // A fresh server places connections on its CPUs in turn, lowest first.
            for (int i = 0; i < 2 * cpus.length; i++) {
                try (Client client = new Client(server)) {
                    for (int r = 0; r < 3; r++) {
                        int cpu = Integer.parseInt(client.send("GET /cpu HTTP/1.1\r\nHost: localhost\r\n\r\n").body().strip());
                        if (Affinity.isSupported()) {
                            assertThat(cpu).as("connection %d, request %d", i, r).isEqualTo(cpus[i % cpus.length]);
                        } else {
                            assertThat(cpu == -1 || cores.cpus().contains(cpu)).as("cpu %d", cpu).isTrue();
                        }
                    }
                }
            }
        }
    }

    @Test
    void cpusChooseTheLanesAndAreRefusedForDefaultVirtualThreads() throws Exception {
        int cpu;
        try (CoreManager probe = CoreManager.create()) {
            cpu = probe.cpus().toArray()[probe.cpus().size() - 1];
        }
        try (HttpServerExample server = HttpServerExample.start(Mode.LANE, ANY_PORT, io.coremanager.CpuSet.of(cpu));
             Client client = new Client(server)) {
            assertThat(server.cores().orElseThrow().cpus().toArray()).containsExactly(cpu);
            int served = Integer.parseInt(client.send("GET /cpu HTTP/1.1\r\nHost: localhost\r\n\r\n").body().strip());
            if (Affinity.isSupported()) {
                assertThat(served).isEqualTo(cpu);
            }
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> HttpServerExample.start(Mode.VIRTUAL, ANY_PORT, io.coremanager.CpuSet.of(cpu)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void closeEndsIdleKeepAliveConnectionsAtOnce(Mode mode) throws Exception {
        HttpServerExample server = HttpServerExample.start(mode, ANY_PORT, null);
        try (Client client = new Client(server)) {
            assertThat(client.send("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n").status).isEqualTo(200);
            long start = System.nanoTime();
            server.close();
            assertThat((System.nanoTime() - start) / 1_000_000).as("ms to close").isLessThan(1_500);
            assertThat(client.closedByServer()).isTrue();
            server.cores().ifPresent(cores -> assertThat(cores.isTerminated()).isTrue());
        }
        server.close(); // idempotent
    }

    private static void assertRefused(HttpServerExample server, String request, int status) throws IOException {
        try (Client client = new Client(server)) {
            Reply reply = client.send(request);
            assertThat(reply.status).as(request.lines().findFirst().orElseThrow()).isEqualTo(status);
            assertThat(client.closedByServer()).isTrue();
        }
    }

    /** A response: status, header fields (lower-case names) and body. */
    private record Reply(int status, Map<String, String> headers, byte[] bytes) {
        String body() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    /** A raw HTTP/1.1 client on one connection, with a read timeout so no test can hang. */
    private static final class Client implements AutoCloseable {
        private final Socket socket = new Socket();
        private final InputStream in;

        Client(HttpServerExample server) throws IOException {
            socket.connect(server.address(), 10_000);
            socket.setSoTimeout(10_000);
            in = new BufferedInputStream(socket.getInputStream());
        }

        Reply send(String request) throws IOException {
            write(request);
            return read();
        }

        void write(String request) throws IOException {
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
        }

        Reply read() throws IOException {
            String statusLine = line();
            assertThat(statusLine).startsWith("HTTP/1.1 ");
            int status = Integer.parseInt(statusLine.substring(9, 12));
            Map<String, String> headers = new LinkedHashMap<>();
            for (String line = line(); !line.isEmpty(); line = line()) {
                int colon = line.indexOf(':');
                headers.put(line.substring(0, colon).toLowerCase(Locale.ROOT), line.substring(colon + 1).strip());
            }
            byte[] body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
            return new Reply(status, headers, body);
        }

        /** Whether the server has closed its side: the next read sees the end of the stream (or a reset). */
        boolean closedByServer() throws IOException {
            socket.setSoTimeout(500);
            try {
                return in.read() < 0;
            } catch (java.net.SocketTimeoutException e) {
                return false; // still open, nothing to read
            } catch (SocketException e) {
                return true; // reset
            } finally {
                socket.setSoTimeout(10_000);
            }
        }

        private String line() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b < 0) {
                    throw new IOException("the server closed in the middle of a response");
                }
                line.write(b);
            }
            String s = line.toString(StandardCharsets.ISO_8859_1);
            assertThat(s).endsWith("\r");
            return s.substring(0, s.length() - 1);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
