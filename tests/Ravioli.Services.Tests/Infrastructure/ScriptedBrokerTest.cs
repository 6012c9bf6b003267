using System.Text.Json.Nodes;
using Ravioli.Services.Osb;
using Xunit;

namespace Ravioli.Services.Tests.Infrastructure;

/// <summary>A test class that gets a fresh scripted broker and an OSB client per test.</summary>
public abstract class ScriptedBrokerTest : IAsyncLifetime
{
    public const string UserGuid = "683ea748-3092-4ff4-b656-39cacc4d5360";
    public const string ServiceId = "svc-1";
    public const string PlanId = "plan-1";
    public const string ContextJson = """{"platform":"cloudfoundry","organization_guid":"org-1","space_guid":"space-1","instance_name":"db"}""";

    private readonly HttpClient _http = OsbClient.CreateHttpClient();

    protected ScriptedBroker Broker { get; private set; } = null!;

    protected OsbClientOptions Options { get; } = new() { RequestTimeout = TimeSpan.FromSeconds(10) };

    protected OsbClient Client => new(_http, Options);

    protected static OsbCallContext Call { get; } = new(UserGuid, ContextJson);

    protected static OsbProvisionRequest ProvisionRequest { get; } =
        new(ServiceId, PlanId, "org-1", "space-1", new JsonObject { ["size"] = "small" }, null);

    protected static OsbBindRequest BindRequest { get; } = new(ServiceId, PlanId, "app-1", null);

    protected static OsbUpdateRequest UpdateRequest { get; } =
        new(ServiceId, "plan-2", null, new OsbPreviousValues(ServiceId, PlanId, "org-1", "space-1"), null);

    public async Task InitializeAsync() => Broker = await ScriptedBroker.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await Broker.DisposeAsync();
    }

    protected Task<OsbResult<OsbProvisionResponse>> ProvisionAsync() =>
        Client.ProvisionAsync(Broker.Endpoint, "inst-1", ProvisionRequest, Call, CancellationToken.None);

    protected Task<OsbResult<OsbBindResponse>> BindAsync() =>
        Client.BindAsync(Broker.Endpoint, "inst-1", "bind-1", BindRequest, Call, CancellationToken.None);

    protected Task<OsbResult<OsbProvisionResponse>> UpdateAsync() =>
        Client.UpdateAsync(Broker.Endpoint, "inst-1", UpdateRequest, Call, CancellationToken.None);

    protected Task<OsbResult<OsbOperationResponse>> DeprovisionAsync() =>
        Client.DeprovisionAsync(Broker.Endpoint, "inst-1", ServiceId, PlanId, Call, CancellationToken.None);

    protected Task<OsbResult<OsbOperationResponse>> UnbindAsync() =>
        Client.UnbindAsync(Broker.Endpoint, "inst-1", "bind-1", ServiceId, PlanId, Call, CancellationToken.None);

    /// <summary>Asserts a failure and returns its error.</summary>
    protected static OsbError AssertFailed<T>(OsbResult<T> result, bool orphanMitigation, int? status)
    {
        Assert.Equal(OsbOutcome.Failed, result.Outcome);
        Assert.Equal(orphanMitigation, result.OrphanMitigation);
        Assert.Equal(status, result.StatusCode);
        Assert.Null(result.Value);
        Assert.NotNull(result.Error);
        Assert.DoesNotContain(ScriptedBroker.Password, result.Error!.Description, StringComparison.Ordinal);
        return result.Error;
    }
}
