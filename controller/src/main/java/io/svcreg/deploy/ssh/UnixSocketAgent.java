package io.svcreg.deploy.ssh;

import java.io.EOFException;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import org.apache.sshd.agent.SshAgent;
import org.apache.sshd.agent.SshAgentFactory;
import org.apache.sshd.agent.SshAgentServer;
import org.apache.sshd.agent.common.AbstractAgentProxy;
import org.apache.sshd.common.FactoryManager;
import org.apache.sshd.common.SshException;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/**
 * The user's SSH agent ({@code ssh-agent}, {@code SSH_AUTH_SOCK}) as a source of keys for MINA
 * SSHD's public-key authentication: MINA encodes and decodes the agent protocol ({@link
 * AbstractAgentProxy}), this class carries its messages over the agent's Unix socket with the JDK's
 * own Unix-domain channels (MINA's unix agent client needs the native Tomcat APR library).
 */
final class UnixSocketAgent extends AbstractAgentProxy {

  private static final Logger LOG = System.getLogger(UnixSocketAgent.class.getName());

  /** The largest answer taken from an agent (OpenSSH's agent limit). */
  private static final int MAX_MESSAGE = 256 * 1024;

  private final SocketChannel channel;

  private UnixSocketAgent(SocketChannel channel) {
    super(null);
    this.channel = channel;
  }

  /** Connects to the agent listening on {@code socket}. */
  static UnixSocketAgent connect(Path socket) throws IOException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      ch.connect(UnixDomainSocketAddress.of(socket));
      return new UnixSocketAgent(ch);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /**
   * The factory that gives each authentication a fresh connection to the agent at {@code socket};
   * an agent that cannot be reached offers no keys (the identity file is still tried).
   */
  static SshAgentFactory factory(Path socket) {
    return new SshAgentFactory() {
      @Override
      public List<ChannelFactory> getChannelForwardingFactories(FactoryManager manager) {
        return List.of();
      }

      @Override
      public SshAgent createClient(Session session, FactoryManager manager) {
        try {
          return connect(socket);
        } catch (IOException | RuntimeException e) {
          LOG.log(
              Level.WARNING,
              "cannot reach the SSH agent at {0}: {1}; logging in without its keys",
              socket,
              e.getMessage());
          return null;
        }
      }

      @Override
      public SshAgentServer createServer(ConnectionService service) {
        throw new UnsupportedOperationException("svcreg does not forward SSH agents");
      }
    };
  }

  @Override
  protected synchronized Buffer request(Buffer buffer) throws IOException {
    ByteBuffer out = ByteBuffer.wrap(buffer.array(), buffer.rpos(), buffer.available());
    while (out.hasRemaining()) {
      channel.write(out);
    }
    ByteBuffer len = ByteBuffer.allocate(4);
    readFully(len);
    int n = len.flip().getInt();
    if (n <= 0 || n > MAX_MESSAGE) {
      throw new SshException("the SSH agent sent a message of " + n + " bytes");
    }
    ByteBuffer msg = ByteBuffer.allocate(n);
    readFully(msg);
    return new ByteArrayBuffer(msg.array());
  }

  private void readFully(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      if (channel.read(b) < 0) {
        throw new EOFException("the SSH agent closed the connection");
      }
    }
  }

  @Override
  public boolean isOpen() {
    return channel.isOpen();
  }

  @Override
  public void close() throws IOException {
    try {
      super.close();
    } finally {
      channel.close();
    }
  }
}
