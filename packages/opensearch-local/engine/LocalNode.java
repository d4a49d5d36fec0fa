import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.stream.Stream;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.index.mapper.MapperExtrasPlugin;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * One OpenSearch node in this JVM, with the distribution's modules loaded from the classpath
 * as plugins (the way OpenSearch's own test framework starts a node), for local runs and
 * tests.
 *
 * <p>Usage: {@code java -cp <classpath> LocalNode <home> [setting=value ...]}. Once the node
 * serves HTTP it prints one line {@code LOCAL_NODE_READY <port>} on stdout. It closes the node
 * and exits when stdin reaches end of file, so it never outlives the process that started it,
 * even one killed with SIGKILL, and on SIGTERM or SIGINT. With {@code
 * -Dlocalnode.deleteHomeOnExit=true} it then deletes its home, so a temporary node leaves
 * nothing behind when its parent dies.
 */
public final class LocalNode {
  private static final List<Class<? extends Plugin>> MODULES =
      List.of(
          Netty4Plugin.class,
          CommonAnalysisPlugin.class,
          MapperExtrasPlugin.class,
          PainlessPlugin.class,
          ReindexPlugin.class);

  /** Node's constructor that takes classpath plugins is protected. */
  private static final class ClasspathPluginsNode extends Node {
    ClasspathPluginsNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
      super(environment, plugins, true);
    }
  }

  private LocalNode() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: LocalNode <home> [setting=value ...]");
      System.exit(2);
    }
    Path home = Paths.get(args[0]).toAbsolutePath();
    Path config = home.resolve("config");
    Files.createDirectories(config);
    Files.createDirectories(home.resolve("plugins"));
    Files.createDirectories(home.resolve("modules"));

    Settings.Builder settings = Settings.builder().put("path.home", home.toString());
    for (int i = 1; i < args.length; i++) {
      int equals = args[i].indexOf('=');
      if (equals <= 0) {
        System.err.println("not a setting=value pair: " + args[i]);
        System.exit(2);
      }
      settings.put(args[i].substring(0, equals), args[i].substring(equals + 1));
    }
    Settings input = settings.build();
    LogConfigurator.registerErrorListener();
    LogConfigurator.configureWithoutConfig(input);
    Environment environment =
        InternalSettingsPreparer.prepareEnvironment(
            input, Collections.emptyMap(), config, () -> input.get("node.name", "local"));

    Node node = new ClasspathPluginsNode(environment, MODULES);
    boolean deleteHome = Boolean.getBoolean("localnode.deleteHomeOnExit");
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  closeQuietly(node);
                  if (deleteHome) deleteQuietly(home);
                },
                "local-node-close"));
    node.start();

    int port =
        node.injector()
            .getInstance(HttpServerTransport.class)
            .boundAddress()
            .publishAddress()
            .getPort();
    System.out.println("LOCAL_NODE_READY " + port);
    System.out.flush();

    exitAtEndOfInput(System.in);
  }

  private static void exitAtEndOfInput(InputStream in) {
    byte[] buffer = new byte[256];
    try {
      while (in.read(buffer) >= 0) {
        // input is ignored: only its end matters
      }
    } catch (IOException e) {
      // a broken pipe means the same as its end
    }
    System.exit(0);
  }

  private static void deleteQuietly(Path home) {
    try (Stream<Path> paths = Files.walk(home)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      System.err.println("deleting " + home + " failed: " + e);
    }
  }

  private static void closeQuietly(Node node) {
    try {
      node.close();
    } catch (IOException e) {
      System.err.println("closing the node failed: " + e);
    }
  }
}
