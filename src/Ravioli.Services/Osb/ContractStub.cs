// TEMPORARY: the agreed OSB client surface, until the real client (branch osb) is merged. Delete on merge.
using System.Text.Json.Nodes;

namespace Ravioli.Services.Osb;

public sealed record BrokerEndpoint(Uri Url, string Username, string Password);
public sealed record OsbCallContext(string? UserGuid, string PlatformContextJson);
public sealed class OsbClientOptions { public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60); public long MaxResponseBytes { get; set; } = 1 << 20; }
public enum OsbOutcome { Succeeded, InProgress, Gone, Failed }
public sealed record OsbResult<T>(OsbOutcome Outcome, T? Value, int? StatusCode, string? Operation, OsbError? Error, bool OrphanMitigation, TimeSpan? RetryAfter);
public sealed record OsbError(string? Code, string Description, bool? InstanceUsable, bool? UpdateRepeatable);
public sealed record OsbLastOperation(string State, string? Description, bool? InstanceUsable, bool? UpdateRepeatable);
public sealed record OsbProvisionRequest(string ServiceId, string PlanId, string OrganizationGuid, string SpaceGuid, JsonObject? Parameters, JsonObject? MaintenanceInfo);
public sealed record OsbUpdateRequest(string ServiceId, string? PlanId, JsonObject? Parameters, OsbPreviousValues PreviousValues, JsonObject? MaintenanceInfo);
public sealed record OsbPreviousValues(string ServiceId, string PlanId, string OrganizationGuid, string SpaceGuid);
public sealed record OsbProvisionResponse(string? DashboardUrl, string? Operation);
public sealed record OsbOperationResponse(string? Operation);
public sealed record OsbBindRequest(string ServiceId, string PlanId, string? AppGuid, JsonObject? Parameters);
public sealed record OsbBindResponse(JsonObject? Credentials, string? SyslogDrainUrl, string? RouteServiceUrl, JsonArray? VolumeMounts, string? Operation);
public sealed record OsbCatalog(IReadOnlyList<OsbService> Services);
public sealed record OsbService(string Id, string Name, string Description, IReadOnlyList<string> Tags, IReadOnlyList<string> Requires, bool Bindable, bool InstancesRetrievable, bool BindingsRetrievable, bool PlanUpdateable, bool AllowContextUpdates, JsonObject? Metadata, JsonObject? DashboardClient, IReadOnlyList<OsbPlan> Plans);
public sealed record OsbPlan(string Id, string Name, string Description, bool Free, bool? Bindable, bool? PlanUpdateable, JsonObject? Metadata, JsonObject? Schemas, JsonObject? MaintenanceInfo, int? MaximumPollingDuration);
public sealed class OsbCatalogException(IReadOnlyList<string> errors) : Exception(string.Join("; ", errors)) { public IReadOnlyList<string> Errors { get; } = errors; }
public sealed class OsbBrokerException(string message, int? status) : Exception(message) { public int? Status { get; } = status; }
public sealed record VcapServiceEntry(string Label, string Name, string InstanceGuid, string InstanceName, string BindingGuid, string? BindingName, string? Plan, string? Provider, IReadOnlyList<string> Tags, JsonObject Credentials, string? SyslogDrainUrl, JsonArray? VolumeMounts);
public static class VcapServices { public static string Build(IEnumerable<VcapServiceEntry> entries) => throw new NotImplementedException(); }
#pragma warning disable CA1822, IDE0060
public sealed class OsbClient(HttpClient http, OsbClientOptions options)
{
    public HttpClient Http { get; } = http;
    public OsbClientOptions Options { get; } = options;
    public Task<OsbCatalog> GetCatalogAsync(BrokerEndpoint broker, CancellationToken ct) => throw new NotImplementedException();
    public Task<OsbResult<OsbProvisionResponse>> ProvisionAsync(BrokerEndpoint broker, string instanceId, OsbProvisionRequest request, OsbCallContext call, CancellationToken ct) => throw new NotImplementedException();
    public Task<OsbResult<OsbProvisionResponse>> UpdateAsync(BrokerEndpoint broker, string instanceId, OsbUpdateRequest request, OsbCallContext call, CancellationToken ct) => throw new NotImplementedException();
    public Task<OsbResult<OsbOperationResponse>> DeprovisionAsync(BrokerEndpoint broker, string instanceId, string serviceId, string planId, OsbCallContext call, CancellationToken ct) => throw new NotImplementedException();
    public Task<OsbResult<OsbLastOperation>> GetInstanceLastOperationAsync(BrokerEndpoint broker, string instanceId, string? serviceId, string? planId, string? operation, OsbCallContext call, CancellationToken ct) => throw new NotImplementedException();
    public Task<OsbResult<OsbBindResponse>> BindAsync(BrokerEndpoint broker, string instanceId, string bindingId, OsbBindRequest request, OsbCallContext call, CancellationToken ct) => throw new NotImplementedException();
    public Task<OsbResult<OsbBindResponse>> FetchBindingAsync(BrokerEndpoint broker, string instanceId, string bindingId, string? serviceId, string? planId, OsbCallContext call, CancellationToken ct) => throw new NotImplementedException();
    public Task<OsbResult<OsbLastOperation>> GetBindingLastOperationAsync(BrokerEndpoint broker, string instanceId, string bindingId, string? serviceId, string? planId, string? operation, OsbCallContext call, CancellationToken ct) => throw new NotImplementedException();
    public Task<OsbResult<OsbOperationResponse>> UnbindAsync(BrokerEndpoint broker, string instanceId, string bindingId, string serviceId, string planId, OsbCallContext call, CancellationToken ct) => throw new NotImplementedException();
}
public sealed record OsbFetchInstanceResponse(string? ServiceId, string? PlanId, string? DashboardUrl, JsonObject? Parameters);
public static class OsbClientFetchStub { public static Task<OsbResult<OsbFetchInstanceResponse>> FetchInstanceAsync(this OsbClient c, BrokerEndpoint broker, string instanceId, string? serviceId, string? planId, OsbCallContext call, CancellationToken ct) => throw new NotImplementedException(); }
