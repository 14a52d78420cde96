package io.svcreg.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.eclipse.serializer.persistence.exceptions.PersistenceException;
import org.eclipse.serializer.persistence.types.PersistenceTypeDictionaryIoHandler;

/**
 * EclipseStore's type dictionary file, written atomically and durably (a synced temporary file
 * renamed over the old one, then the directory synced). EclipseStore's own handler truncates and
 * rewrites the file in place without a sync, so a crash while a new type is registered could leave
 * a store that cannot be read.
 */
final class DurableTypeDictionary implements PersistenceTypeDictionaryIoHandler {

  /** EclipseStore's file name for the type dictionary. */
  static final String FILE_NAME = "PersistenceTypeDictionary.ptd";

  private final Path file;

  DurableTypeDictionary(Path dir) {
    this.file = dir.resolve(FILE_NAME);
  }

  @Override
  public synchronized String loadTypeDictionary() {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new PersistenceException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void storeTypeDictionary(String typeDictionaryString) {
    Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
    try {
      Files.writeString(tmp, typeDictionaryString, StandardCharsets.UTF_8);
      Fsync.file(tmp);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      Fsync.directory(file.getParent());
    } catch (IOException e) {
      throw new PersistenceException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
