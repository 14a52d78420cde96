package io.svcreg.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Arrays;
import org.eclipse.store.storage.exceptions.StorageException;
import org.junit.jupiter.api.Test;

class StoreFilesTest {

  /** Log entries of 18, 26 and 34 bytes, each starting with its length. */
  private static byte[] log(int... lengths) {
    byte[] out = new byte[Arrays.stream(lengths).sum()];
    int pos = 0;
    for (int l : lengths) {
      out[pos] = (byte) l;
      Arrays.fill(out, pos + 1, pos + l, (byte) 7);
      pos += l;
    }
    return out;
  }

  @Test
  void completeLength_wholeEntries_isTheLogLength() {
    assertThat(StoreFiles.completeLength(log(26, 18, 34, 18))).isEqualTo(96);
    assertThat(StoreFiles.completeLength(new byte[0])).isZero();
  }

  @Test
  void completeLength_lastEntryCut_endsBeforeIt() {
    byte[] torn = Arrays.copyOf(log(26, 18, 34), 26 + 18 + 10);

    assertThat(StoreFiles.completeLength(torn)).isEqualTo(44);
  }

  @Test
  void completeLength_zerosAfterLastEntry_endsBeforeThem() {
    byte[] zeros = Arrays.copyOf(log(26, 18), 26 + 18 + 100);

    assertThat(StoreFiles.completeLength(zeros)).isEqualTo(44);
  }

  @Test
  void completeLength_zeroLengthThenData_isLeftForEclipseStoreToReport() {
    byte[] bad = Arrays.copyOf(log(26, 18), 26 + 18 + 10);
    bad[50] = 3;

    assertThat(StoreFiles.completeLength(bad)).isEqualTo(bad.length);
  }

  @Test
  void describe_nestedFailure_isOneLineWithTheRootCause() {
    Exception e =
        new StorageException(
            "Problem in channel #0",
            new StorageException(new IOException("Unknown entry type: -40\n  at somewhere")));

    assertThat(Store.describe(e)).isEqualTo("Problem in channel #0: Unknown entry type: -40");
  }

  @Test
  void describe_noMessage_isTheTypeName() {
    assertThat(Store.describe(new IllegalStateException())).isEqualTo("IllegalStateException");
  }
}
