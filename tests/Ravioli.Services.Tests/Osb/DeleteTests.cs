using Ravioli.Services.Osb;
using Ravioli.Services.Tests.Infrastructure;
using Xunit;

namespace Ravioli.Services.Tests.Osb;

/// <summary>Deprovision and unbind share one response table: 200, 202, 400, 410, 422, and orphan mitigation on other 2xx and 5xx.</summary>
public sealed class DeleteTests : ScriptedBrokerTest
{
    public static TheoryData<string> Targets => new() { "instance", "binding" };

    private Task<OsbResult<OsbOperationResponse>> DeleteAsync(string target) =>
        target == "instance" ? DeprovisionAsync() : UnbindAsync();

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Ok_succeeds(string target)
    {
        Broker.Respond(200, "{}");

        var result = await DeleteAsync(target);

        Assert.Equal(OsbOutcome.Succeeded, result.Outcome);
        Assert.Equal(200, result.StatusCode);
        Assert.False(result.OrphanMitigation);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Accepted_is_in_progress_with_the_operation(string target)
    {
        Broker.Respond(202, """{"operation":"delete-1"}""");

        var result = await DeleteAsync(target);

        Assert.Equal(OsbOutcome.InProgress, result.Outcome);
        Assert.Equal("delete-1", result.Operation);
        Assert.Equal("delete-1", result.Value!.Operation);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Gone_means_already_deleted(string target)
    {
        Broker.Respond(410, "{}");

        var result = await DeleteAsync(target);

        Assert.Equal(OsbOutcome.Gone, result.Outcome);
        Assert.Equal(410, result.StatusCode);
        Assert.Null(result.Error);
        Assert.False(result.OrphanMitigation);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Bad_request_fails_without_orphan_mitigation(string target)
    {
        Broker.Respond(400, """{"description":"service_id is required"}""");

        var error = AssertFailed(await DeleteAsync(target), orphanMitigation: false, status: 400);

        Assert.Equal("service_id is required", error.Description);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Unprocessable_fails_with_the_code_and_the_instance_state(string target)
    {
        Broker.Respond(422, """{"error":"ConcurrencyError","description":"busy","instance_usable":false}""");

        var error = AssertFailed(await DeleteAsync(target), orphanMitigation: false, status: 422);

        Assert.Equal("ConcurrencyError", error.Code);
        Assert.False(error.InstanceUsable);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Server_error_fails_and_calls_for_deleting_again(string target)
    {
        Broker.Respond(503, """{"description":"maintenance"}""");

        var error = AssertFailed(await DeleteAsync(target), orphanMitigation: true, status: 503);

        Assert.Equal("maintenance", error.Description);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Another_2xx_fails_and_calls_for_deleting_again(string target)
    {
        Broker.Respond(204);

        var error = AssertFailed(await DeleteAsync(target), orphanMitigation: true, status: 204);

        Assert.Equal($"the broker answered 204, which OSB does not allow as an answer to {(target == "instance" ? "a deprovision" : "an unbind")}", error.Description);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Ok_with_a_malformed_body_fails_without_orphan_mitigation(string target)
    {
        Broker.Respond(200, "deleted");

        AssertFailed(await DeleteAsync(target), orphanMitigation: false, status: 200);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Accepted_with_a_malformed_body_fails_without_orphan_mitigation(string target)
    {
        Broker.Respond(202, """{"operation":["x"]}""");

        AssertFailed(await DeleteAsync(target), orphanMitigation: false, status: 202);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task A_timeout_fails_without_orphan_mitigation(string target)
    {
        Options.RequestTimeout = TimeSpan.FromMilliseconds(300);
        Broker.Script(Misbehaviour.Hang);

        var error = AssertFailed(await DeleteAsync(target), orphanMitigation: false, status: null);

        Assert.Equal("the broker did not answer within 0.3 s", error.Description);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task A_dropped_connection_fails_without_orphan_mitigation(string target)
    {
        Broker.Script(Misbehaviour.DropConnection);

        AssertFailed(await DeleteAsync(target), orphanMitigation: false, status: null);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Request_timeout_408_fails_without_orphan_mitigation(string target)
    {
        Broker.Respond(408);

        AssertFailed(await DeleteAsync(target), orphanMitigation: false, status: 408);
    }

    [Fact]
    public async Task Deprovision_sends_service_and_plan_ids_and_accepts_incomplete_in_the_query_and_no_body()
    {
        Broker.Respond(200, "{}");

        await DeprovisionAsync();

        var request = Broker.LastRequest;
        Assert.Equal("DELETE", request.Method);
        Assert.Equal("/brokers/test/v2/service_instances/inst-1", request.Path);
        Assert.Equal(ServiceId, request.Query["service_id"]);
        Assert.Equal(PlanId, request.Query["plan_id"]);
        Assert.Equal("true", request.Query["accepts_incomplete"]);
        Assert.Equal("", request.Body);
        Assert.Equal("2.17", request.Header("X-Broker-API-Version"));
    }

    [Fact]
    public async Task Unbind_sends_service_and_plan_ids_and_accepts_incomplete_in_the_query_and_no_body()
    {
        Broker.Respond(200, "{}");

        await UnbindAsync();

        var request = Broker.LastRequest;
        Assert.Equal("DELETE", request.Method);
        Assert.Equal("/brokers/test/v2/service_instances/inst-1/service_bindings/bind-1", request.Path);
        Assert.Equal(ServiceId, request.Query["service_id"]);
        Assert.Equal(PlanId, request.Query["plan_id"]);
        Assert.Equal("true", request.Query["accepts_incomplete"]);
        Assert.Equal("", request.Body);
    }
}
