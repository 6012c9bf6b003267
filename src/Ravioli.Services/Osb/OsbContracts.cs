using System.Text.Json.Nodes;

namespace Ravioli.Services.Osb;

/// <summary>Where a broker lives and how to authenticate: <see cref="Url"/> is its base; the client appends /v2/catalog and so on.</summary>
public sealed record BrokerEndpoint(Uri Url, string Username, string Password)
{
    // A record's generated ToString would print the password into any log line that formats the endpoint.
    public override string ToString() => $"BrokerEndpoint {{ Url = {OsbText.Redact(Url)}, Username = {Username} }}";
}

/// <summary>
/// Who asked for an operation and the platform's context object. <see cref="UserGuid"/> becomes the
/// X-Broker-API-Originating-Identity header; <see cref="PlatformContextJson"/> is sent as "context" in provision, update and bind bodies.
/// </summary>
public sealed record OsbCallContext(string? UserGuid, string PlatformContextJson);

/// <summary>Tunables of <see cref="OsbClient"/>.</summary>
public sealed class OsbClientOptions
{
    /// <summary>How long one request may take, body included. Default 60 s, the spec's "typically 60 seconds".</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The largest response body read from a broker. Default 1 MiB; a larger body fails the call.</summary>
    public long MaxResponseBytes { get; set; } = 1 << 20;
}

/// <summary>How a broker call ended, as the platform must interpret it.</summary>
public enum OsbOutcome
{
    /// <summary>Done: 200/201 with a valid body.</summary>
    Succeeded,

    /// <summary>202 Accepted: poll last_operation with <see cref="OsbResult{T}.Operation"/>.</summary>
    InProgress,

    /// <summary>410 Gone: on a delete the resource is already gone (a success); on last_operation of a delete, it has succeeded.</summary>
    Gone,

    /// <summary>The call failed; see <see cref="OsbResult{T}.Error"/> and <see cref="OsbResult{T}.OrphanMitigation"/>.</summary>
    Failed,
}

/// <summary>
/// The result of one broker call. <see cref="OrphanMitigation"/> is true when the OSB spec's orphan mitigation table says the
/// platform should now delete what it cannot be sure was created (deprovision after a provision, unbind after a bind),
/// or keep deleting after a delete that failed that way.
/// </summary>
public sealed record OsbResult<T>(
    OsbOutcome Outcome,
    T? Value,
    int? StatusCode,
    string? Operation,
    OsbError? Error,
    bool OrphanMitigation,
    TimeSpan? RetryAfter)
{
    /// <summary>The X-Broker-API-Request-Identity sent with the request, for matching our logs with the broker's.</summary>
    public string? RequestIdentity { get; init; }
}

/// <summary>
/// Why a call failed. <see cref="Code"/> is the broker's OSB error code ("AsyncRequired", "ConcurrencyError", "RequiresApp",
/// "MaintenanceInfoConflict", or another it sent); <see cref="Description"/> is the broker's description or ours. Never holds credentials.
/// </summary>
public sealed record OsbError(string? Code, string Description, bool? InstanceUsable, bool? UpdateRepeatable);

/// <summary>A last_operation answer: <see cref="State"/> is "in progress", "succeeded" or "failed".</summary>
public sealed record OsbLastOperation(string State, string? Description, bool? InstanceUsable, bool? UpdateRepeatable)
{
    public const string InProgressState = "in progress";
    public const string SucceededState = "succeeded";
    public const string FailedState = "failed";
}

/// <summary>What the platform sends to provision a Service Instance.</summary>
public sealed record OsbProvisionRequest(
    string ServiceId,
    string PlanId,
    string OrganizationGuid,
    string SpaceGuid,
    JsonObject? Parameters,
    JsonObject? MaintenanceInfo);

/// <summary>What the platform sends to update a Service Instance; a null <see cref="PlanId"/> leaves the plan unchanged.</summary>
public sealed record OsbUpdateRequest(
    string ServiceId,
    string? PlanId,
    JsonObject? Parameters,
    OsbPreviousValues PreviousValues,
    JsonObject? MaintenanceInfo);

/// <summary>The instance as it was before an update, sent as "previous_values".</summary>
public sealed record OsbPreviousValues(string ServiceId, string PlanId, string OrganizationGuid, string SpaceGuid)
{
    /// <summary>The maintenance_info the instance was provisioned or last updated with, if any.</summary>
    public JsonObject? MaintenanceInfo { get; init; }
}

/// <summary>A provision or update answer.</summary>
public sealed record OsbProvisionResponse(string? DashboardUrl, string? Operation);

/// <summary>A deprovision or unbind answer.</summary>
public sealed record OsbOperationResponse(string? Operation);

/// <summary>What the platform sends to create a Service Binding; <see cref="AppGuid"/> is null for service keys.</summary>
public sealed record OsbBindRequest(string ServiceId, string PlanId, string? AppGuid, JsonObject? Parameters);

/// <summary>A bind or fetch-binding answer. Holds credentials: never log it.</summary>
public sealed record OsbBindResponse(
    JsonObject? Credentials,
    string? SyslogDrainUrl,
    string? RouteServiceUrl,
    JsonArray? VolumeMounts,
    string? Operation)
{
    public override string ToString() =>
        $"OsbBindResponse {{ Credentials = {(Credentials is null ? "null" : "(redacted)")}, SyslogDrainUrl = {SyslogDrainUrl}, " +
        $"RouteServiceUrl = {RouteServiceUrl}, VolumeMounts = {VolumeMounts?.Count ?? 0}, Operation = {Operation} }}";
}

/// <summary>
/// Which asynchronous operation a last_operation poll is for. The spec reads a poll's answer differently per operation:
/// 410 Gone means success only while deleting, and a "failed" state calls for orphan mitigation only after a provision,
/// deprovision, bind or unbind.
/// </summary>
public enum OsbOperationKind
{
    Provision,
    Update,
    Deprovision,
    Bind,
    Unbind,
}

/// <summary>GET /v2/service_instances/:id's answer.</summary>
public sealed record OsbFetchInstanceResponse(string? ServiceId, string? PlanId, string? DashboardUrl, JsonObject? Parameters);
