using System.Text.Json.Nodes;
using Ravioli.Services.Osb;
using Ravioli.Services.Tests.Infrastructure;
using Xunit;

namespace Ravioli.Services.Tests.Sbf;

/// <summary>
/// The client against a broker someone else wrote: SAP's Service Broker Framework (npm @sap/sbf 6.11.9) running our small
/// in-memory hooks (sbf-broker/start.js). SBF does the OSB parts — routing, auth, version check, request validation,
/// status codes, originating identity parsing.
/// </summary>
public sealed class SbfBrokerTests(SbfBrokerFixture sbf) : IClassFixture<SbfBrokerFixture>, IDisposable
{
    private const string ServiceId = "6f1f6c56-1f7e-4a57-9f0e-2b1c9c3b5a01";
    private const string SyncPlan = "0d7a4b9e-3c52-4b8f-8f3e-5d6a2b7c1e01";
    private const string AsyncPlan = "0d7a4b9e-3c52-4b8f-8f3e-5d6a2b7c1e02";
    private const string UserGuid = "9b5c1b9e-3d1f-4a8e-8d2c-0b7e6f5a4c3d";

    private static readonly OsbCallContext s_call =
        new(UserGuid, """{"platform":"cloudfoundry","organization_guid":"org-1","space_guid":"space-1","instance_name":"kv"}""");

    private readonly HttpClient _http = OsbClient.CreateHttpClient();

    private OsbClient Client => new(_http, new OsbClientOptions { RequestTimeout = TimeSpan.FromSeconds(20) });

    public void Dispose() => _http.Dispose();

    private static string NewId() => Guid.NewGuid().ToString();

    private static OsbProvisionRequest Provision(string plan, JsonObject? parameters = null) =>
        new(ServiceId, plan, "org-1", "space-1", parameters, null);

    [Fact]
    public async Task The_catalog_is_read_and_validated()
    {
        var catalog = await Client.GetCatalogAsync(sbf.Good, CancellationToken.None);

        var service = Assert.Single(catalog.Services);
        Assert.Equal(ServiceId, service.Id);
        Assert.Equal("ravioli-kv", service.Name);
        Assert.True(service.Bindable);
        Assert.True(service.InstancesRetrievable);
        Assert.True(service.BindingsRetrievable);
        Assert.True(service.PlanUpdateable);
        Assert.Equal(["key-value", "test"], service.Tags);
        Assert.Equal("Ravioli KV", (string?)service.Metadata!["displayName"]);
        Assert.Equal(["sync", "async"], service.Plans.Select(p => p.Name));
        var async = service.Plans[1];
        Assert.False(async.Free);
        Assert.Equal(600, async.MaximumPollingDuration);
        Assert.Equal("1.2.3", (string?)async.MaintenanceInfo!["version"]);
        Assert.Empty(catalog.Warnings);
    }

    [Fact]
    public async Task A_catalog_sbf_accepts_but_the_spec_forbids_is_rejected_with_every_problem()
    {
        var e = await Assert.ThrowsAsync<OsbCatalogException>(() => Client.GetCatalogAsync(sbf.Sloppy, CancellationToken.None));

        Assert.Equal(
            [
                "$.services[0].requires: must be an array of strings, not a string",
                "$.services[0].instances_retrievable: must be a boolean, not a string",
                "$.services[0].plans[0].maximum_polling_duration: must be a positive whole number of seconds, not -5",
                "$.services[0].plans[1].maintenance_info.version: required",
            ],
            e.Errors);
    }

    [Fact]
    public async Task Wrong_credentials_are_reported_for_the_catalog_and_for_operations()
    {
        var wrong = sbf.Endpoint("good", "not-the-password");

        var e = await Assert.ThrowsAsync<OsbBrokerException>(() => Client.GetCatalogAsync(wrong, CancellationToken.None));
        var provision = await Client.ProvisionAsync(wrong, NewId(), Provision(SyncPlan), s_call, CancellationToken.None);

        Assert.Equal(401, e.Status);
        Assert.Equal("the broker rejected the credentials (401); check the broker's username and password", e.Message);
        Assert.Equal(OsbOutcome.Failed, provision.Outcome);
        Assert.Equal(401, provision.StatusCode);
        Assert.False(provision.OrphanMitigation);
    }

    [Fact]
    public async Task A_synchronous_lifecycle_provision_bind_fetch_unbind_deprovision()
    {
        var instance = NewId();
        var binding = NewId();

        var provisioned = await Client.ProvisionAsync(sbf.Good, instance, Provision(SyncPlan, new JsonObject { ["size"] = "s" }), s_call, CancellationToken.None);
        Assert.Equal(OsbOutcome.Succeeded, provisioned.Outcome);
        Assert.Equal(201, provisioned.StatusCode);
        Assert.Equal($"http://dashboard.invalid/instances/{instance}", provisioned.Value!.DashboardUrl);

        var bound = await Client.BindAsync(sbf.Good, instance, binding, new OsbBindRequest(ServiceId, SyncPlan, "app-1", new JsonObject { ["role"] = "rw" }), s_call, CancellationToken.None);
        Assert.Equal(OsbOutcome.Succeeded, bound.Outcome);
        Assert.Equal(201, bound.StatusCode);
        var credentials = bound.Value!.Credentials!;
        Assert.Equal($"user-{binding}", (string?)credentials["username"]);
        Assert.Equal($"secret-{binding}", (string?)credentials["password"]);
        Assert.Equal(instance, (string?)credentials["instance_id"]);
        // What SBF parsed from our request: bind_resource, the deprecated app_guid, the context and the originating identity.
        Assert.Equal("app-1", (string?)credentials["app_guid"]);
        Assert.Equal("app-1", (string?)credentials["top_level_app_guid"]);
        Assert.Equal("cloudfoundry", (string?)credentials["platform"]);
        Assert.Equal(UserGuid, (string?)credentials["requested_by"]);
        Assert.Equal("rw", (string?)credentials["parameters"]!["role"]);

        var fetched = await Client.FetchBindingAsync(sbf.Good, instance, binding, ServiceId, SyncPlan, s_call, CancellationToken.None);
        Assert.Equal(OsbOutcome.Succeeded, fetched.Outcome);
        Assert.True(JsonNode.DeepEquals(credentials, fetched.Value!.Credentials));

        var unbound = await Client.UnbindAsync(sbf.Good, instance, binding, ServiceId, SyncPlan, s_call, CancellationToken.None);
        Assert.Equal(OsbOutcome.Succeeded, unbound.Outcome);
        Assert.Equal(200, unbound.StatusCode);
        var unboundAgain = await Client.UnbindAsync(sbf.Good, instance, binding, ServiceId, SyncPlan, s_call, CancellationToken.None);
        Assert.Equal(OsbOutcome.Gone, unboundAgain.Outcome);

        var deprovisioned = await Client.DeprovisionAsync(sbf.Good, instance, ServiceId, SyncPlan, s_call, CancellationToken.None);
        Assert.Equal(OsbOutcome.Succeeded, deprovisioned.Outcome);
        var deprovisionedAgain = await Client.DeprovisionAsync(sbf.Good, instance, ServiceId, SyncPlan, s_call, CancellationToken.None);
        Assert.Equal(OsbOutcome.Gone, deprovisionedAgain.Outcome);
    }

    [Fact]
    public async Task An_asynchronous_lifecycle_polls_last_operation_at_every_step()
    {
        var instance = NewId();
        var binding = NewId();

        var provisioned = await Client.ProvisionAsync(sbf.Good, instance, Provision(AsyncPlan), s_call, CancellationToken.None);
        Assert.Equal(OsbOutcome.InProgress, provisioned.Outcome);
        Assert.Equal(202, provisioned.StatusCode);
        Assert.StartsWith("provision-", provisioned.Operation, StringComparison.Ordinal);
        Assert.Equal($"http://dashboard.invalid/instances/{instance}", provisioned.Value!.DashboardUrl);

        var first = await Client.GetInstanceLastOperationAsync(sbf.Good, instance, ServiceId, AsyncPlan, provisioned.Operation, OsbOperationKind.Provision, s_call, CancellationToken.None);
        Assert.Equal(OsbOutcome.Succeeded, first.Outcome);
        Assert.Equal("in progress", first.Value!.State);
        Assert.Equal($"provision {instance}: poll 1", first.Value.Description);
        Assert.Equal(TimeSpan.FromSeconds(1), first.RetryAfter);
        var done = await Client.GetInstanceLastOperationAsync(sbf.Good, instance, ServiceId, AsyncPlan, provisioned.Operation, OsbOperationKind.Provision, s_call, CancellationToken.None);
        Assert.Equal("succeeded", done.Value!.State);
        Assert.False(done.OrphanMitigation);

        var updated = await Client.UpdateAsync(
            sbf.Good, instance,
            new OsbUpdateRequest(ServiceId, null, new JsonObject { ["size"] = "l" }, new OsbPreviousValues(ServiceId, AsyncPlan, "org-1", "space-1"), null),
            s_call, CancellationToken.None);
        Assert.Equal(OsbOutcome.InProgress, updated.Outcome);
        Assert.Equal("succeeded", (await PollInstanceUntilDoneAsync(instance, updated.Operation, OsbOperationKind.Update)).State);

        var bound = await Client.BindAsync(sbf.Good, instance, binding, new OsbBindRequest(ServiceId, AsyncPlan, null, null), s_call, CancellationToken.None);
        Assert.Equal(OsbOutcome.InProgress, bound.Outcome);
        Assert.StartsWith("bind-", bound.Operation, StringComparison.Ordinal);
        Assert.Null(bound.Value!.Credentials);
        var notYet = await Client.FetchBindingAsync(sbf.Good, instance, binding, ServiceId, AsyncPlan, s_call, CancellationToken.None);
        Assert.Equal(OsbOutcome.Failed, notYet.Outcome);
        Assert.Equal(404, notYet.StatusCode);
        Assert.Equal("succeeded", (await PollBindingUntilDoneAsync(instance, binding, bound.Operation, OsbOperationKind.Bind)).State);

        var fetched = await Client.FetchBindingAsync(sbf.Good, instance, binding, ServiceId, AsyncPlan, s_call, CancellationToken.None);
        Assert.Equal(OsbOutcome.Succeeded, fetched.Outcome);
        Assert.Equal($"secret-{binding}", (string?)fetched.Value!.Credentials!["password"]);
        Assert.Null((string?)fetched.Value.Credentials["app_guid"]);

        var unbound = await Client.UnbindAsync(sbf.Good, instance, binding, ServiceId, AsyncPlan, s_call, CancellationToken.None);
        Assert.Equal(OsbOutcome.InProgress, unbound.Outcome);
        Assert.Equal("succeeded", (await PollBindingUntilDoneAsync(instance, binding, unbound.Operation, OsbOperationKind.Unbind)).State);

        var deprovisioned = await Client.DeprovisionAsync(sbf.Good, instance, ServiceId, AsyncPlan, s_call, CancellationToken.None);
        Assert.Equal(OsbOutcome.InProgress, deprovisioned.Outcome);
        Assert.Equal("succeeded", (await PollInstanceUntilDoneAsync(instance, deprovisioned.Operation, OsbOperationKind.Deprovision)).State);
        // Asked again after the delete finished, the broker answers 410 Gone: the end of a delete.
        var gone = await Client.GetInstanceLastOperationAsync(sbf.Good, instance, ServiceId, AsyncPlan, deprovisioned.Operation, OsbOperationKind.Deprovision, s_call, CancellationToken.None);
        Assert.Equal(OsbOutcome.Gone, gone.Outcome);
    }

    [Fact]
    public async Task Broker_errors_are_read_by_the_tables()
    {
        var rejected = await Client.ProvisionAsync(sbf.Good, NewId(), Provision(SyncPlan, new JsonObject { ["fail_with"] = 400, ["message"] = "size must be s, m or l" }), s_call, CancellationToken.None);
        var crashed = await Client.ProvisionAsync(sbf.Good, NewId(), Provision(SyncPlan, new JsonObject { ["fail_with"] = 500, ["message"] = "disk full" }), s_call, CancellationToken.None);
        var unprocessable = await Client.BindAsync(sbf.Good, NewId(), NewId(), new OsbBindRequest(ServiceId, SyncPlan, "app-1", null), s_call, CancellationToken.None);

        Assert.Equal(OsbOutcome.Failed, rejected.Outcome);
        Assert.Equal(400, rejected.StatusCode);
        Assert.Equal("size must be s, m or l", rejected.Error!.Description);
        Assert.False(rejected.OrphanMitigation);
        Assert.Equal(500, crashed.StatusCode);
        Assert.Equal("disk full", crashed.Error!.Description);
        Assert.True(crashed.OrphanMitigation);
        Assert.Equal(422, unprocessable.StatusCode);
        Assert.Equal("the instance is not ready", unprocessable.Error!.Description);
        Assert.False(unprocessable.OrphanMitigation);
    }

    [Fact]
    public async Task Provisioning_an_existing_id_with_another_plan_is_a_conflict()
    {
        var instance = NewId();
        await Client.ProvisionAsync(sbf.Good, instance, Provision(SyncPlan), s_call, CancellationToken.None);

        var again = await Client.ProvisionAsync(sbf.Good, instance, Provision(AsyncPlan), s_call, CancellationToken.None);

        Assert.Equal(OsbOutcome.Failed, again.Outcome);
        Assert.Equal(409, again.StatusCode);
        Assert.False(again.OrphanMitigation);
        await Client.DeprovisionAsync(sbf.Good, instance, ServiceId, SyncPlan, s_call, CancellationToken.None);
    }

    [Fact]
    public async Task An_unknown_operation_is_a_failed_poll()
    {
        var result = await Client.GetInstanceLastOperationAsync(sbf.Good, NewId(), ServiceId, AsyncPlan, "no-such-operation", s_call, CancellationToken.None);

        Assert.Equal(OsbOutcome.Failed, result.Outcome);
        Assert.Equal(400, result.StatusCode);
        Assert.Equal("unknown operation \"no-such-operation\"", result.Error!.Description);
    }

    private async Task<OsbLastOperation> PollInstanceUntilDoneAsync(string instance, string? operation, OsbOperationKind kind)
    {
        for (var i = 0; i < 10; i++)
        {
            var poll = await Client.GetInstanceLastOperationAsync(sbf.Good, instance, ServiceId, AsyncPlan, operation, kind, s_call, CancellationToken.None);
            Assert.True(poll.Outcome == OsbOutcome.Succeeded, poll.Error?.Description + "\n" + sbf.Log);
            if (poll.Value!.State != OsbLastOperation.InProgressState)
            {
                return poll.Value;
            }
        }
        throw new InvalidOperationException("the broker never finished " + operation);
    }

    private async Task<OsbLastOperation> PollBindingUntilDoneAsync(string instance, string binding, string? operation, OsbOperationKind kind)
    {
        for (var i = 0; i < 10; i++)
        {
            var poll = await Client.GetBindingLastOperationAsync(sbf.Good, instance, binding, ServiceId, AsyncPlan, operation, kind, s_call, CancellationToken.None);
            Assert.True(poll.Outcome == OsbOutcome.Succeeded, poll.Error?.Description + "\n" + sbf.Log);
            if (poll.Value!.State != OsbLastOperation.InProgressState)
            {
                return poll.Value;
            }
        }
        throw new InvalidOperationException("the broker never finished " + operation);
    }
}
