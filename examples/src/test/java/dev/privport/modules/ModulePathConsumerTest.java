package dev.privport.modules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.privport.core.Redirect;
import dev.privport.core.RedirectPlan;
import java.io.File;
import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The published jars on the module path, as a modular consumer uses them: module names, a consumer
 * compiled and run with {@code --module-path} and no {@code --add-modules}, and every backend found
 * with {@code ServiceLoader} across modules, rendering what the class path renders.
 */
class ModulePathConsumerTest {
  private static final String SERVICE = "dev.privport.core.spi.PlanRenderer";

  private static final String MODULE_INFO =
      """
      module consumer {
        requires dev.privport.core;
        uses dev.privport.core.spi.PlanRenderer;
      }
      """;

  private static final String MAIN =
      """
      package dev.example;

      import dev.privport.core.Redirect;
      import dev.privport.core.RedirectPlan;
      import dev.privport.core.spi.PlanRenderer;
      import java.util.ServiceLoader;
      import java.util.TreeSet;

      public class Main {
        public static void main(String[] args) {
          TreeSet<String> providers = new TreeSet<>();
          ServiceLoader.load(PlanRenderer.class).stream()
              .forEach(p -> providers.add(p.type().getModule().getName()));
          System.out.println("providers " + providers);
          RedirectPlan plan = RedirectPlan.builder().name("mp").tcp(80, 8080)
              .add(Redirect.udp(514, 5514).ipv4Only().incomingOnly()).build();
          System.out.print("=nft\\n" + plan.toNft());
          System.out.print("=iptables\\n" + plan.toIptables());
          System.out.print("=firewalld\\n" + plan.toFirewalld());
        }
      }
      """;

  @Test
  void aModularConsumerRendersThroughEveryBackendWithoutAddModules(@TempDir Path dir)
      throws IOException, InterruptedException {
    Map<String, Path> jars = jars();
    String modulePath =
        jars.values().stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));

    // Module names: core is a real module (it requires Guava), the backends automatic ones.
    Map<String, ModuleDescriptor> modules = new TreeMap<>();
    for (ModuleReference m : ModuleFinder.of(jars.values().toArray(Path[]::new)).findAll()) {
      modules.put(m.descriptor().name(), m.descriptor());
    }
    assertThat(modules)
        .containsKeys(
            "dev.privport.core",
            "dev.privport.nft",
            "dev.privport.iptables",
            "dev.privport.firewalld");
    assertThat(modules.get("dev.privport.core").isAutomatic()).isFalse();
    assertThat(modules.get("dev.privport.core").uses()).contains(SERVICE);
    for (String backend : List.of("nft", "iptables", "firewalld")) {
      ModuleDescriptor d = modules.get("dev.privport." + backend);
      assertThat(d.isAutomatic()).as(backend).isTrue();
      assertThat(d.provides()).as(backend).anyMatch(p -> p.service().equals(SERVICE));
    }

    Path src = dir.resolve("src");
    Files.createDirectories(src.resolve("dev/example"));
    Files.writeString(src.resolve("module-info.java"), MODULE_INFO);
    Files.writeString(src.resolve("dev/example/Main.java"), MAIN);
    Path classes = dir.resolve("mods/consumer");
    int javac =
        ToolProvider.getSystemJavaCompiler()
            .run(
                null,
                null,
                null,
                "-d",
                classes.toString(),
                "--module-path",
                modulePath,
                src.resolve("module-info.java").toString(),
                src.resolve("dev/example/Main.java").toString());
    assertThat(javac).as("javac of the consumer").isZero();

    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p =
        new ProcessBuilder(
                java.toString(),
                "--module-path",
                modulePath + File.pathSeparator + dir.resolve("mods"),
                "-m",
                "consumer/dev.example.Main")
            .redirectErrorStream(true)
            .start();
    String output;
    try {
      output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the consumer exits").isTrue();
    } finally {
      p.destroyForcibly();
    }
    assertThat(p.exitValue()).as(output).isZero();

    RedirectPlan plan =
        RedirectPlan.builder()
            .name("mp")
            .tcp(80, 8080)
            .add(Redirect.udp(514, 5514).ipv4Only().incomingOnly())
            .build();
    assertThat(output)
        .isEqualTo(
            "providers [dev.privport.core, dev.privport.firewalld, dev.privport.iptables, dev.privport.nft]\n"
                + "=nft\n"
                + plan.toNft()
                + "=iptables\n"
                + plan.toIptables()
                + "=firewalld\n"
                + plan.toFirewalld());
  }

  /**
   * The library jars and Guava's, from this test's class path. In a reactor build that has passed
   * the package phase these are the jars themselves; an output directory has no manifest and cannot
   * stand for a module.
   */
  private static Map<String, Path> jars() {
    Map<String, Path> out = new TreeMap<>();
    List<String> wanted =
        List.of(
            "privport-core",
            "privport-nft",
            "privport-iptables",
            "privport-firewalld",
            "guava",
            "failureaccess");
    List<String> directories = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path path = Path.of(entry);
      String name = path.getFileName().toString();
      for (String artifact : wanted) {
        boolean isJar = name.startsWith(artifact + "-") && name.endsWith(".jar");
        if (isJar && !name.endsWith("-tests.jar")) {
          out.put(artifact, path);
        } else if (Files.isDirectory(path)
            && path.endsWith("target/classes")
            && path.getParent().getParent().endsWith(artifact.replace("privport-", ""))) {
          directories.add(entry);
        }
      }
    }
    assertThat(directories)
        .as("run through the package phase (mvn verify): the module path needs the jars")
        .isEmpty();
    assertThat(out.keySet()).containsExactlyInAnyOrderElementsOf(wanted);
    return out;
  }
}
