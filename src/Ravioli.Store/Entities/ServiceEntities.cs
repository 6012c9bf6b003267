namespace Ravioli.Store.Entities;

/// <summary>An Open Service Broker the platform talks to: global (admin) or scoped to one space.</summary>
public sealed class ServiceBrokerEntity : NamedResourceEntity
{
    public string Url { get; set; } = "";
    public string Username { get; set; } = "";

    /// <summary>Sealed with the platform's secret key.</summary>
    public string Password { get; set; } = "";
    public string? SpaceGuid { get; set; }
}

/// <summary>A service of a broker's catalog.</summary>
public sealed class ServiceOfferingEntity : NamedResourceEntity
{
    public string BrokerGuid { get; set; } = "";
    public ServiceBrokerEntity? Broker { get; set; }

    /// <summary>The id the broker's catalog gives it (service_id in OSB calls).</summary>
    public string CatalogId { get; set; } = "";
    public string Description { get; set; } = "";
    public bool Available { get; set; } = true;

    /// <summary>JSON arrays and objects from the catalog, kept as given.</summary>
    public string Tags { get; set; } = "[]";
    public string Requires { get; set; } = "[]";
    public string? Metadata { get; set; }
    public bool Bindable { get; set; }
    public bool InstancesRetrievable { get; set; }
    public bool BindingsRetrievable { get; set; }
    public bool PlanUpdateable { get; set; }
    public bool AllowContextUpdates { get; set; }
}

public sealed class ServicePlanEntity : NamedResourceEntity
{
    public string OfferingGuid { get; set; } = "";
    public ServiceOfferingEntity? Offering { get; set; }
    public string CatalogId { get; set; } = "";
    public string Description { get; set; } = "";
    public bool Available { get; set; } = true;
    public bool Free { get; set; } = true;

    /// <summary>Null = as the offering says.</summary>
    public bool? Bindable { get; set; }
    public bool? PlanUpdateable { get; set; }
    public string? Metadata { get; set; }
    public string? Schemas { get; set; }
    public string? MaintenanceInfo { get; set; }
    public int? MaximumPollingDuration { get; set; }

    /// <summary>admin (nobody but admins), public, organization (see the visibilities), space (a space-scoped broker's plan).</summary>
    public string VisibilityType { get; set; } = "admin";
}

public sealed class ServicePlanVisibilityEntity
{
    public string PlanGuid { get; set; } = "";
    public string OrganizationGuid { get; set; } = "";
}

/// <summary>
/// What a service instance or binding has in flight with its broker. The control plane's operations loop acts on
/// every row whose state is "in progress" (or that needs orphan mitigation): it (re)sends the request when no broker operation is known yet — OSB
/// requests are idempotent, so a crash mid-call is resolved by sending again — and polls last_operation otherwise.
/// </summary>
public abstract class ServiceOperationEntity : ResourceEntity
{
    public string? Name { get; set; }
    public string LastOperationType { get; set; } = "create";
    public string LastOperationState { get; set; } = "initial";
    public string? LastOperationDescription { get; set; }
    public DateTime LastOperationCreatedAt { get; set; }
    public DateTime LastOperationUpdatedAt { get; set; }

    /// <summary>The broker's opaque operation id from a 202; null until the broker has accepted the request.</summary>
    public string? BrokerOperation { get; set; }

    /// <summary>Parameters (and plan change) of the request in flight, sealed; kept until the broker has answered.</summary>
    public string? PendingRequest { get; set; }

    /// <summary>Set when the broker's answer requires the platform to delete what it may have created (orphan mitigation).</summary>
    public bool OrphanMitigation { get; set; }

    /// <summary>The user whose request started the operation (X-Broker-API-Originating-Identity).</summary>
    public string? OperationUserGuid { get; set; }
}

public sealed class ServiceInstanceEntity : ServiceOperationEntity
{
    /// <summary>managed or user-provided.</summary>
    public string Type { get; set; } = "managed";
    public string SpaceGuid { get; set; } = "";
    public SpaceEntity? Space { get; set; }
    public string? PlanGuid { get; set; }
    public ServicePlanEntity? Plan { get; set; }
    public string Tags { get; set; } = "[]";

    /// <summary>User-provided credentials, sealed.</summary>
    public string? Credentials { get; set; }
    public string? SyslogDrainUrl { get; set; }
    public string? RouteServiceUrl { get; set; }
    public string? DashboardUrl { get; set; }
}

public sealed class ServiceBindingEntity : ServiceOperationEntity
{
    /// <summary>app or key.</summary>
    public string Type { get; set; } = "app";
    public string InstanceGuid { get; set; } = "";
    public ServiceInstanceEntity? Instance { get; set; }

    /// <summary>Not a foreign key: deleting an app leaves its bindings to be unbound at the broker first.</summary>
    public string? AppGuid { get; set; }

    /// <summary>The app's guid for an app binding, the key's name for a key: unique per instance and type, so an app binds an instance once.</summary>
    public string UniqueName { get; set; } = "";

    /// <summary>The binding's credentials from the broker (or the user-provided instance's), sealed.</summary>
    public string? Credentials { get; set; }
    public string? SyslogDrainUrl { get; set; }
    public string? VolumeMounts { get; set; }
}
