// Starts an in-process Neo4j 5 (neo4j-harness) with Bolt on 127.0.0.1:<port>, data in <dir>,
// no HTTP server and no authentication, prints "BOLT <uri>" once it is ready, and stops when its
// standard input closes (so a killed test run never leaves it behind).
import java.nio.file.Path;

import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilders;

public class Launcher {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Path dir = Path.of(args[1]);
        Neo4j neo4j = Neo4jBuilders.newInProcessBuilder(dir)
                .withConfig(BoltConnector.enabled, true)
                .withConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .withDisabledServer()
                .build();
        System.out.println("BOLT " + neo4j.boltURI());
        System.out.flush();
        while (System.in.read() != -1) {
            // wait for the parent to close our stdin
        }
        neo4j.close();
        System.exit(0);
    }
}
