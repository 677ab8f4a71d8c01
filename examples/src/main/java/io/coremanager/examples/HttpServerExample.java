package io.coremanager.examples;

import io.coremanager.ConnectionPlacement;
import io.coremanager.CoreManager;
import io.coremanager.CpuSet;
import io.coremanager.LaneServerSocket;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An HTTP/1.1 keep-alive server on core-affine virtual threads with lane-local I/O: the first lane
 * accepts, connections go to the lanes in turn, and each connection is served by plain blocking
 * code in a core-affine virtual thread whose reads and writes are resumed by its own lane's poll,
 * on its CPU. The same connection code also runs on default virtual threads (a
 * {@link ServerSocket} and {@link Thread#ofVirtual()}), for comparison: {@link Mode}.
 *
 * <p>Routes: {@code GET /hello} (a greeting), {@code GET /cpu} (the CPU serving the request,
 * {@link CoreManager#currentCpu()}) and {@code POST /echo} (the body back, with its content type).
 * Anything else gets 404, or 405 with {@code Allow} for a known path and another method.
 *
 * <p>The HTTP/1.1 part is deliberately small: request line, headers (at most
 * {@link #MAX_HEAD_BYTES} bytes in all, else 431), {@code Content-Length} bodies (at most
 * {@link #MAX_BODY_BYTES}, else 413), keep-alive by default in HTTP/1.1 and on request in HTTP/1.0,
 * {@code Connection: close}, and 400 (then close) on malformed input. What it leaves out: chunked
 * request bodies ({@code Transfer-Encoding} gets 501 and close), {@code Expect: 100-continue},
 * absolute-form targets, and idle or read timeouts (a {@code LaneSocket} has none; put a proxy in
 * front of it on the open internet).
 *
 * <p>{@link #close()} shuts down gracefully: it stops accepting, closes the connections that wait
 * between requests, lets the ones in the middle of a request finish it (their response says
 * {@code Connection: close}) for up to a grace period, then closes what is left and the manager.
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED \
 *        -cp core/target/classes:examples/target/classes \
 *        io.coremanager.examples.HttpServerExample --port 8080 [--cpus 0-3] [--mode lane|vt]
 * </pre>
 */
public final class HttpServerExample implements AutoCloseable {

    /** Where connections are served. */
    public enum Mode {
        /** Lane-local I/O: {@link CoreManager#serve}, connections round-robin over the lanes. */
        LANE,
        /** Default virtual threads on the JDK's sockets: {@link ServerSocket}, one virtual thread per connection. */
        VIRTUAL
    }

    /** The largest request head (request line and headers, line ends included); a larger one gets 431. */
    public static final int MAX_HEAD_BYTES = 8 * 1024;

    /** The largest request body; a larger {@code Content-Length} gets 413. */
    public static final int MAX_BODY_BYTES = 1024 * 1024;

    private static final Duration GRACE = Duration.ofSeconds(2);

    private final Mode mode;
    private final CoreManager cores;          // LANE only
    private final LaneServerSocket laneServer; // LANE only
    private final ServerSocket jdkServer;      // VIRTUAL only
    private final InetSocketAddress address;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private volatile boolean stopping;

    /** One open connection: its socket, and whether it waits between requests (then it may be closed at once). */
    private static final class Connection {
        final Closeable socket;
        final Closeable shutdownOutput;
        volatile boolean idle = true;

        Connection(Closeable socket, Closeable shutdownOutput) {
            this.socket = socket;
            this.shutdownOutput = shutdownOutput;
        }
    }

    private HttpServerExample(Mode mode, InetSocketAddress address, CpuSet cpus) throws IOException {
        this.mode = mode;
        if (mode == Mode.LANE) {
            CoreManager.Builder builder = CoreManager.builder();
            if (cpus != null) {
                builder.cpus(cpus);
            }
            cores = builder.build();
            try {
                laneServer = cores.serve(cores.cpus().first(), address, ConnectionPlacement.roundRobin(cores.cpus()),
                        socket -> {
                            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
                            serveConnection(new Connection(socket, socket::shutdownOutput), socket.inputStream(),
                                    socket.outputStream());
                        });
            } catch (IOException | RuntimeException e) {
                cores.close();
                throw e;
            }
            jdkServer = null;
            this.address = (InetSocketAddress) laneServer.localAddress();
        } else {
            if (cpus != null) {
                throw new IllegalArgumentException("cpus are for Mode.LANE; confine the JVM with taskset instead");
            }
            cores = null;
            laneServer = null;
            jdkServer = new ServerSocket(address.getPort(), 1024, address.getAddress());
            this.address = (InetSocketAddress) jdkServer.getLocalSocketAddress();
            Thread.ofVirtual().name("http-accept").start(this::acceptVirtual);
        }
    }

    /**
     * Starts a server.
     *
     * @param mode lane-local I/O or default virtual threads
     * @param address where to listen (port 0 for any free port: see {@link #address()})
     * @param cpus the CPUs of the manager in {@link Mode#LANE} (null for the default choice); must be
     *     null in {@link Mode#VIRTUAL}
     * @return the running server; {@link #close()} it to stop
     * @throws IOException if it cannot listen
     * @throws IllegalArgumentException if {@code cpus} is given in {@link Mode#VIRTUAL}
     */
    public static HttpServerExample start(Mode mode, InetSocketAddress address, CpuSet cpus) throws IOException {
        return new HttpServerExample(mode, address, cpus);
    }

    /**
     * The address it listens on.
     *
     * @return the bound address, with the port chosen
     */
    public InetSocketAddress address() {
        return address;
    }

    /**
     * The mode it runs in.
     *
     * @return the mode
     */
    public Mode mode() {
        return mode;
    }

    /**
     * The manager whose lanes serve, in {@link Mode#LANE}.
     *
     * @return the manager, or empty in {@link Mode#VIRTUAL}
     */
    public Optional<CoreManager> cores() {
        return Optional.ofNullable(cores);
    }

    // ---------------------------------------------------------------- routes

    /**
     * The application: one response per request. Runs in the connection's thread, so blocking
     * code is fine here; in {@link Mode#LANE} that thread is core-affine, on its lane's CPU.
     *
     * @param request the parsed request
     * @return the response
     */
    static Response handle(Request request) {
        return switch (request.path()) {
            case "/hello" -> request.method().equals("GET")
                    ? Response.text(200, "Hello, World!") : Response.methodNotAllowed("GET");
            case "/cpu" -> request.method().equals("GET")
                    ? Response.text(200, Integer.toString(CoreManager.currentCpu())) : Response.methodNotAllowed("GET");
            case "/echo" -> request.method().equals("POST")
                    ? new Response(200, Optional.ofNullable(request.header("content-type")).orElse("application/octet-stream"),
                            request.body(), null)
                    : Response.methodNotAllowed("POST");
            default -> Response.text(404, "Not Found");
        };
    }

    /**
     * A parsed request.
     *
     * @param method the method, e.g. {@code GET}
     * @param target the request target as sent, e.g. {@code /hello?x=1}
     * @param version {@code HTTP/1.1} or {@code HTTP/1.0}
     * @param headers the header fields, names in lower case; repeated fields joined with {@code ", "}
     * @param body the body ({@code Content-Length} bytes; empty if none)
     */
    public record Request(String method, String target, String version, Map<String, String> headers, byte[] body) {

        /**
         * The target without its query.
         *
         * @return the path, e.g. {@code /hello}
         */
        public String path() {
            int q = target.indexOf('?');
            return q < 0 ? target : target.substring(0, q);
        }

        /**
         * A header field's value.
         *
         * @param name the field name, any case
         * @return the value, or null if absent
         */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        /**
         * Whether the client wants the connection kept open after this request: HTTP/1.1 unless it
         * sent {@code Connection: close}, HTTP/1.0 only with {@code Connection: keep-alive}.
         *
         * @return true to keep the connection
         */
        public boolean keepAlive() {
            String connection = header("connection");
            if (version.equals("HTTP/1.0")) {
                return connection != null && hasToken(connection, "keep-alive");
            }
            return connection == null || !hasToken(connection, "close");
        }
    }

    /**
     * A response.
     *
     * @param status the status code
     * @param contentType the {@code Content-Type}
     * @param body the body
     * @param allow the {@code Allow} field of a 405, or null
     */
    public record Response(int status, String contentType, byte[] body, String allow) {

        /**
         * A plain-text response.
         *
         * @param status the status code
         * @param text the body, a line end added
         * @return the response
         */
        public static Response text(int status, String text) {
            return new Response(status, "text/plain; charset=utf-8", (text + "\n").getBytes(StandardCharsets.UTF_8), null);
        }

        static Response methodNotAllowed(String allow) {
            return new Response(405, "text/plain; charset=utf-8", "Method Not Allowed\n".getBytes(StandardCharsets.US_ASCII), allow);
        }
    }

    // ---------------------------------------------------------------- connections

    /** Serves one connection until the peer closes, asks to close, or sends something malformed. */
    private void serveConnection(Connection connection, InputStream rawIn, OutputStream rawOut) throws IOException {
        connections.add(connection);
        try {
            InputStream in = new BufferedInputStream(rawIn, 8192);
            OutputStream out = new BufferedOutputStream(rawOut, 8192);
            HeadReader head = new HeadReader(in);
            while (!stopping) {
                connection.idle = true;
                int first = in.read(); // waits between requests: close() may close the socket here
                if (first < 0) {
                    return;
                }
                connection.idle = false;
                Request request;
                try {
                    request = readRequest(head.read(first), in);
                } catch (BadRequest e) {
                    write(out, Response.text(e.status, e.getMessage()), false, false);
                    lingeringClose(connection, in);
                    return;
                }
                Response response;
                try {
                    response = handle(request);
                } catch (RuntimeException e) {
                    write(out, Response.text(500, "Internal Server Error"), false, false);
                    throw e;
                }
                boolean keepAlive = request.keepAlive() && !stopping;
                write(out, response, keepAlive, request.version().equals("HTTP/1.0"));
                if (!keepAlive) {
                    return;
                }
            }
        } finally {
            connections.remove(connection);
        }
    }

    private void acceptVirtual() {
        while (true) {
            Socket socket;
            try {
                socket = jdkServer.accept();
            } catch (IOException e) {
                if (jdkServer.isClosed()) {
                    return;
                }
                continue; // one failed accept (a peer that reset first, say): keep serving the others
            }
            Thread.ofVirtual().start(() -> {
                try (socket) {
                    socket.setTcpNoDelay(true);
                    serveConnection(new Connection(socket, socket::shutdownOutput), socket.getInputStream(),
                            socket.getOutputStream());
                } catch (IOException e) {
                    // the peer went away: the connection ends
                }
            });
        }
    }

    /**
     * After an error response, the client may still be sending: closing with unread input would
     * reset the connection and could destroy the response before the client reads it. So end the
     * output, and read (a bounded amount) until the client closes.
     */
    private static void lingeringClose(Connection connection, InputStream in) throws IOException {
        connection.shutdownOutput.close();
        connection.idle = true; // close() may cut it short
        byte[] sink = new byte[4096];
        for (int drained = 0; drained < 64 * 1024; ) {
            int n = in.read(sink);
            if (n < 0) {
                return;
            }
            drained += n;
        }
    }

    private static void write(OutputStream out, Response response, boolean keepAlive, boolean http10) throws IOException {
        StringBuilder head = new StringBuilder(128)
                .append("HTTP/1.1 ").append(response.status()).append(' ')
                .append(reason(response.status())).append("\r\n")
                .append("Content-Type: ").append(response.contentType()).append("\r\n")
                .append("Content-Length: ").append(response.body().length).append("\r\n");
        if (response.allow() != null) {
            head.append("Allow: ").append(response.allow()).append("\r\n");
        }
        if (!keepAlive) {
            head.append("Connection: close\r\n");
        } else if (http10) {
            head.append("Connection: keep-alive\r\n");
        }
        out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(response.body());
        out.flush();
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 413 -> "Content Too Large";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 505 -> "HTTP Version Not Supported";
            default -> "Status";
        };
    }

    // ---------------------------------------------------------------- parsing

    /** A request the server refuses: the status to answer with, then the connection closes. */
    private static final class BadRequest extends Exception {
        final int status;

        BadRequest(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    /** Parses a request from its head's lines (request line first) and reads its body from {@code in}. */
    private static Request readRequest(List<String> head, InputStream in) throws IOException, BadRequest {
        String requestLine = head.getFirst();
        String[] parts = requestLine.split(" ", -1);
        if (parts.length != 3 || !isToken(parts[0]) || !parts[1].startsWith("/") || !isVisible(parts[1])) {
            throw new BadRequest(400, "Bad Request: request line");
        }
        String version = parts[2];
        if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
            throw version.matches("HTTP/\\d\\.\\d")
                    ? new BadRequest(505, "HTTP Version Not Supported") : new BadRequest(400, "Bad Request: version");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line : head.subList(1, head.size())) {
            int colon = line.indexOf(':');
            String name = colon > 0 ? line.substring(0, colon) : "";
            if (!isToken(name)) { // also refuses obsolete line folding and space before the colon
                throw new BadRequest(400, "Bad Request: header field");
            }
            String value = line.substring(colon + 1).strip();
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c < 0x20 && c != '\t' || c == 0x7f) {
                    throw new BadRequest(400, "Bad Request: header value");
                }
            }
            headers.merge(name.toLowerCase(Locale.ROOT), value, (a, b) -> a + ", " + b);
        }
        if (version.equals("HTTP/1.1") && (headers.get("host") == null || headers.get("host").contains(","))) {
            throw new BadRequest(400, "Bad Request: Host"); // RFC 9112 3.2: exactly one Host
        }
        if (headers.containsKey("transfer-encoding")) {
            throw new BadRequest(501, "Not Implemented: Transfer-Encoding");
        }
        byte[] body = new byte[0];
        String contentLength = headers.get("content-length");
        if (contentLength != null) {
            if (!contentLength.matches("\\d{1,10}")) { // also refuses differing repeated values ("3, 4")
                throw new BadRequest(400, "Bad Request: Content-Length");
            }
            long length = Long.parseLong(contentLength);
            if (length > MAX_BODY_BYTES) {
                throw new BadRequest(413, "Content Too Large");
            }
            body = in.readNBytes((int) length);
            if (body.length != length) {
                throw new BadRequest(400, "Bad Request: body shorter than Content-Length");
            }
        }
        return new Request(parts[0], parts[1], version, headers, body);
    }

    /** Reads whole request heads, at most {@link #MAX_HEAD_BYTES} bytes each; one per connection. */
    private static final class HeadReader {
        private final InputStream in;
        private final byte[] buffer = new byte[MAX_HEAD_BYTES];
        private int pending;
        private int total;

        HeadReader(InputStream in) {
            this.in = in;
        }

        /**
         * The lines of the next head, request line first, up to the empty line that ends it, the
         * whole head read before anything is checked (so an error response follows a consumed head).
         */
        List<String> read(int first) throws IOException, BadRequest {
            pending = first;
            total = 0;
            String requestLine = line();
            while (requestLine.isEmpty()) { // RFC 9112 2.2: ignore empty lines before the request line
                requestLine = line();
            }
            List<String> lines = new ArrayList<>();
            lines.add(requestLine);
            for (String line = line(); !line.isEmpty(); line = line()) {
                lines.add(line);
            }
            return lines;
        }

        /** The next line, without its CR LF (a bare LF is accepted too), as ISO-8859-1. */
        String line() throws IOException, BadRequest {
            int start = total;
            while (true) {
                int b = pending >= 0 ? pending : in.read();
                pending = -1;
                if (b < 0) {
                    throw new BadRequest(400, "Bad Request: incomplete head");
                }
                if (b == '\n') {
                    int end = total > start && buffer[total - 1] == '\r' ? total - 1 : total;
                    for (int i = start; i < end; i++) {
                        if (buffer[i] == '\r') {
                            throw new BadRequest(400, "Bad Request: bare CR");
                        }
                    }
                    return new String(buffer, start, end - start, StandardCharsets.ISO_8859_1);
                }
                if (total == buffer.length) {
                    throw new BadRequest(431, "Request Header Fields Too Large");
                }
                buffer[total++] = (byte) b;
            }
        }
    }

    private static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean tchar = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!tchar) {
                return false;
            }
        }
        return true;
    }

    private static boolean isVisible(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    private static boolean hasToken(String list, String token) {
        for (String part : list.split(",")) {
            if (part.strip().equalsIgnoreCase(token)) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- lifecycle

    /**
     * Stops gracefully: stops accepting, closes the connections that wait between requests, lets
     * the others finish their request for up to two seconds, then closes them and the manager.
     * Idempotent; any thread (a shutdown hook, typically).
     */
    @Override
    public void close() {
        stopping = true;
        try {
            if (laneServer != null) {
                laneServer.close();
            } else {
                jdkServer.close();
            }
        } catch (IOException e) {
            // closing anyway
        }
        long deadline = System.nanoTime() + GRACE.toNanos();
        while (!connections.isEmpty() && System.nanoTime() - deadline < 0) {
            for (Connection c : connections) {
                if (c.idle) {
                    closeQuietly(c.socket); // its thread wakes with an IOException and ends
                }
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        connections.forEach(c -> closeQuietly(c.socket));
        if (cores != null) {
            cores.shutdown();
            try {
                if (!cores.awaitTermination(GRACE)) {
                    cores.shutdownNow();
                }
            } catch (InterruptedException e) {
                cores.shutdownNow();
                Thread.currentThread().interrupt();
            }
            cores.close();
        }
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // already closed
        }
    }

    /**
     * Serves on 127.0.0.1 until interrupted (Ctrl-C closes it gracefully).
     * Arguments: {@code --port N} (default 8080), {@code --mode lane|vt} (default lane),
     * {@code --cpus LIST} (lane mode only, e.g. {@code 0-3}; default: the manager's choice),
     * {@code --host ADDRESS} (default 127.0.0.1).
     *
     * @param args see above
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        int port = 8080;
        Mode mode = Mode.LANE;
        CpuSet cpus = null;
        String host = "127.0.0.1";
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(value);
                case "--cpus" -> cpus = CpuSet.parse(value);
                case "--host" -> host = value;
                case "--mode" -> mode = switch (String.valueOf(value)) {
                    case "lane" -> Mode.LANE;
                    case "vt" -> Mode.VIRTUAL;
                    default -> throw usage("--mode is lane or vt");
                };
                default -> throw usage("unknown argument " + args[i]);
            }
            i++;
        }
        HttpServerExample server = start(mode, new InetSocketAddress(InetAddress.getByName(host), port), cpus);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "http-shutdown"));
        System.out.println("ready " + (mode == Mode.LANE ? "lane-local I/O on " + server.cores : "default virtual threads")
                + ", listening on http://" + server.address().getAddress().getHostAddress() + ":"
                + server.address().getPort() + "/");
        Thread.sleep(Long.MAX_VALUE);
    }

    private static IllegalArgumentException usage(String why) {
        return new IllegalArgumentException(why + "; usage: --port N [--mode lane|vt] [--cpus LIST] [--host ADDRESS]");
    }
}
