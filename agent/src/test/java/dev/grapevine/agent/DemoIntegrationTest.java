package dev.grapevine.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The demo, end to end on loopback: it must exit 0. */
@Tag("integration")
class DemoIntegrationTest {

    @Test
    void demoOfFiveNodesSucceeds() {
        assertEquals(0, new CommandLine(new Main()).execute("demo", "--nodes", "5", "--preset", "local"));
    }
}
