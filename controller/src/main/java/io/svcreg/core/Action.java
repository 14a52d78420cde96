package io.svcreg.core;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import io.svcreg.schema.Ipv4;

/**
 * One typed step of a plan. Every action concerns one service; the executor runs the actions of a
 * wave in parallel across services and in the listed order within one service.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(Action.AllocateAddress.class),
  @JsonSubTypes.Type(Action.Deploy.class),
  @JsonSubTypes.Type(Action.Start.class),
  @JsonSubTypes.Type(Action.Stop.class),
  @JsonSubTypes.Type(Action.Restart.class),
  @JsonSubTypes.Type(Action.Rollback.class),
  @JsonSubTypes.Type(Action.Undeploy.class),
  @JsonSubTypes.Type(Action.ReleaseAddress.class)
})
public sealed interface Action {

  /** The service this action is about. */
  String service();

  /** The wire name of the action type, e.g. {@code allocate_address}. */
  @JsonIgnore
  String type();

  /** Lease {@code address} in {@code network} to the service. */
  @JsonTypeName("allocate_address")
  record AllocateAddress(String service, String network, Ipv4 address) implements Action {
    @Override
    public String type() {
      return "allocate_address";
    }
  }

  /** Install {@code version} from {@code packageRef} on {@code node} (files only). */
  @JsonTypeName("deploy")
  record Deploy(String service, String node, String version, String packageRef) implements Action {
    @Override
    public String type() {
      return "deploy";
    }
  }

  /** Start the installed version on {@code node}. */
  @JsonTypeName("start")
  record Start(String service, String node) implements Action {
    @Override
    public String type() {
      return "start";
    }
  }

  /** Stop the service on {@code node}. */
  @JsonTypeName("stop")
  record Stop(String service, String node) implements Action {
    @Override
    public String type() {
      return "stop";
    }
  }

  /** Stop and start the service on {@code node} (new configuration or a new version). */
  @JsonTypeName("restart")
  record Restart(String service, String node, String reason) implements Action {
    @Override
    public String type() {
      return "restart";
    }
  }

  /** Go back from {@code fromVersion} to the kept {@code toVersion} on {@code node}. */
  @JsonTypeName("rollback")
  record Rollback(String service, String node, String fromVersion, String toVersion)
      implements Action {
    @Override
    public String type() {
      return "rollback";
    }
  }

  /** Remove the installed files of the service from {@code node}. */
  @JsonTypeName("undeploy")
  record Undeploy(String service, String node, String version) implements Action {
    @Override
    public String type() {
      return "undeploy";
    }
  }

  /** Give the service's {@code address} in {@code network} back to the pool. */
  @JsonTypeName("release_address")
  record ReleaseAddress(String service, String network, Ipv4 address) implements Action {
    @Override
    public String type() {
      return "release_address";
    }
  }
}
