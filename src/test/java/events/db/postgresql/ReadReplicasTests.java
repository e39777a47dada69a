package events.db.postgresql;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** WAL positions as the probe compares them. */
final class ReadReplicasTests {

    @Test
    void walPositionsCompareAsNumbersAndPrintAsPostgreSQLDoes() {
        assertThat(ReadReplicas.parseLsn("0/16B3748")).isEqualTo(0x16B3748L);
        assertThat(ReadReplicas.parseLsn("16/B374D848")).isEqualTo((0x16L << 32) | 0xB374D848L);
        assertThat(ReadReplicas.parseLsn("1/0")).isGreaterThan(ReadReplicas.parseLsn("0/FFFFFFFF"));
        assertThat(ReadReplicas.formatLsn(ReadReplicas.parseLsn("16/B374D848"))).isEqualTo("16/B374D848");
        assertThat(ReadReplicas.formatLsn(-1)).isNull();
    }
}
