// A minimal Java app for Ravioli's java_buildpack: answers GET / on $PORT (JDK only, no dependencies).
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

public final class Main {
    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/", exchange -> {
            boolean root = exchange.getRequestURI().getPath().equals("/");
            long maxHeapMb = Runtime.getRuntime().maxMemory() / (1024 * 1024);
            byte[] body = (root
                    ? "Hello from Java " + Runtime.version().feature() + " on Ravioli! (max heap " + maxHeapMb + " MB)\n"
                    : "Not Found\n").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(root ? 200 : 404, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        System.out.println("hello-java listening on port " + port);
    }
}
