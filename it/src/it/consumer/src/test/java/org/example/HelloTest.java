package org.example;

import io.coremanager.CoreManager;
import io.coremanager.affinity.Affinity;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HelloTest {

    @Test
    void theInstalledLibraryRunsATaskOnItsCpu() {
        int cpu = Hello.ranOn();
        if (Affinity.isSupported()) {
            try (CoreManager cores = CoreManager.create()) {
                assertEquals(cores.cpus().first(), cpu, "the task ran on its lane's cpu");
            }
        }
    }

    @Test
    void theLibraryCameFromThePrivateRepositoryWithItsSourcesAndJavadoc() throws Exception {
        Path repository = Path.of(System.getProperty("consumer.localRepository")).toRealPath();
        Path jar = Path.of(CoreManager.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toRealPath();
        assertTrue(jar.startsWith(repository), jar + " is not in the private repository " + repository);
        String version = System.getProperty("consumer.coremanagerVersion");
        Path dir = repository.resolve("io/coremanager/coremanager-core").resolve(version);
        for (String classifier : new String[] {"-sources", "-javadoc"}) {
            Path attached = dir.resolve("coremanager-core-" + version + classifier + ".jar");
            assertTrue(Files.isRegularFile(attached), attached + " was not installed");
        }
        assertTrue(Files.isRegularFile(repository.resolve("io/coremanager/coremanager-bom").resolve(version)
                .resolve("coremanager-bom-" + version + ".pom")), "the BOM was not installed");
    }
}
