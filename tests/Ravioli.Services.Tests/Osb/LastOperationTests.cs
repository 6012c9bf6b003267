using System.Globalization;
using Ravioli.Services.Osb;
using Ravioli.Services.Tests.Infrastructure;
using Xunit;

namespace Ravioli.Services.Tests.Osb;

/// <summary>Polling last_operation for instances and bindings: states, 410, errors, Retry-After, the per-operation rules.</summary>
public sealed class LastOperationTests : ScriptedBrokerTest
{
    private Task<OsbResult<OsbLastOperation>> PollInstanceAsync(string? operation = "op-1") =>
        Client.GetInstanceLastOperationAsync(Broker.Endpoint, "inst-1", ServiceId, PlanId, operation, Call, CancellationToken.None);

    private Task<OsbResult<OsbLastOperation>> PollInstanceAsync(OsbOperationKind kind) =>
        Client.GetInstanceLastOperationAsync(Broker.Endpoint, "inst-1", ServiceId, PlanId, "op-1", kind, Call, CancellationToken.None);

    private Task<OsbResult<OsbLastOperation>> PollBindingAsync(OsbOperationKind kind) =>
        Client.GetBindingLastOperationAsync(Broker.Endpoint, "inst-1", "bind-1", ServiceId, PlanId, "op-2", kind, Call, CancellationToken.None);

    [Theory]
    [InlineData("in progress")]
    [InlineData("succeeded")]
    [InlineData("failed")]
    public async Task A_valid_state_is_a_successful_poll(string state)
    {
        Broker.Respond(200, $$"""{"state":"{{state}}","description":"Creating service (10% complete)."}""");

        var result = await PollInstanceAsync();

        Assert.Equal(OsbOutcome.Succeeded, result.Outcome);
        Assert.Equal(200, result.StatusCode);
        Assert.Equal(state, result.Value!.State);
        Assert.Equal("Creating service (10% complete).", result.Value.Description);
        Assert.False(result.OrphanMitigation);
    }

    [Fact]
    public async Task A_failed_update_reports_usability_and_repeatability()
    {
        Broker.Respond(200, """{"state":"failed","instance_usable":false,"update_repeatable":true}""");

        var result = await PollInstanceAsync(OsbOperationKind.Update);

        Assert.Equal("failed", result.Value!.State);
        Assert.False(result.Value.InstanceUsable);
        Assert.True(result.Value.UpdateRepeatable);
        Assert.Null(result.Value.Description);
        Assert.False(result.OrphanMitigation);
    }

    [Theory]
    [InlineData(OsbOperationKind.Provision, true)]
    [InlineData(OsbOperationKind.Deprovision, true)]
    [InlineData(OsbOperationKind.Update, false)]
    public async Task A_failed_instance_operation_calls_for_orphan_mitigation_after_provision_and_deprovision(OsbOperationKind kind, bool expected)
    {
        Broker.Respond(200, """{"state":"failed","description":"quota exceeded"}""");

        var result = await PollInstanceAsync(kind);

        Assert.Equal(OsbOutcome.Succeeded, result.Outcome);
        Assert.Equal(expected, result.OrphanMitigation);
    }

    [Theory]
    [InlineData(OsbOperationKind.Bind)]
    [InlineData(OsbOperationKind.Unbind)]
    public async Task A_failed_binding_operation_calls_for_orphan_mitigation(OsbOperationKind kind)
    {
        Broker.Respond(200, """{"state":"failed"}""");

        var result = await PollBindingAsync(kind);

        Assert.True(result.OrphanMitigation);
    }

    [Fact]
    public async Task Succeeded_and_in_progress_never_call_for_orphan_mitigation()
    {
        Broker.Respond(200, """{"state":"in progress"}""");

        Assert.False((await PollInstanceAsync(OsbOperationKind.Provision)).OrphanMitigation);
    }

    [Fact]
    public async Task Without_knowing_the_operation_a_failed_state_sets_no_orphan_mitigation()
    {
        Broker.Respond(200, """{"state":"failed"}""");

        Assert.False((await PollInstanceAsync()).OrphanMitigation);
    }

    [Theory]
    [InlineData("""{"state":"done"}""", "the state \"done\", which is none of \"in progress\", \"succeeded\" and \"failed\"")]
    [InlineData("""{"state":"Succeeded"}""", "the state \"Succeeded\", which is none of \"in progress\", \"succeeded\" and \"failed\"")]
    [InlineData("""{"description":"x"}""", "no \"state\"")]
    [InlineData("""{"state":1}""", "a \"state\" that is a number, not a string")]
    [InlineData("""{"state":"failed","instance_usable":"yes"}""", "\"instance_usable\" that is a string, not a boolean")]
    [InlineData("""{"state":"failed","description":{}}""", "\"description\" that is an object, not a string")]
    [InlineData("in progress", "a body that is not JSON")]
    public async Task An_invalid_body_is_a_failed_poll(string body, string problem)
    {
        Broker.Respond(200, body);

        var error = AssertFailed(await PollInstanceAsync(OsbOperationKind.Provision), orphanMitigation: false, status: 200);

        Assert.Equal("the broker answered 200 with " + problem, error.Description);
    }

    [Fact]
    public async Task Gone_is_the_end_of_a_delete()
    {
        Broker.Respond(410, """{"description":"gone"}""");

        Assert.Equal(OsbOutcome.Gone, (await PollInstanceAsync()).Outcome);
        Assert.Equal(OsbOutcome.Gone, (await PollInstanceAsync(OsbOperationKind.Deprovision)).Outcome);
        Assert.Equal(OsbOutcome.Gone, (await PollBindingAsync(OsbOperationKind.Unbind)).Outcome);
    }

    [Theory]
    [InlineData(OsbOperationKind.Provision)]
    [InlineData(OsbOperationKind.Update)]
    public async Task Gone_while_polling_a_create_or_update_is_invalid_and_polling_goes_on(OsbOperationKind kind)
    {
        Broker.Respond(410, """{"description":"gone"}""");

        var error = AssertFailed(await PollInstanceAsync(kind), orphanMitigation: false, status: 410);

        Assert.Equal(
            $"the broker answered 410 Gone while polling a {kind.ToString().ToLowerInvariant()}; the spec calls that invalid unless deleting, so keep polling",
            error.Description);
    }

    [Fact]
    public async Task Gone_while_polling_a_bind_is_invalid()
    {
        Broker.Respond(410);

        AssertFailed(await PollBindingAsync(OsbOperationKind.Bind), orphanMitigation: false, status: 410);
    }

    [Fact]
    public async Task Bad_request_is_a_failed_poll()
    {
        Broker.Respond(400, """{"description":"unknown operation"}""");

        var error = AssertFailed(await PollInstanceAsync(), orphanMitigation: false, status: 400);

        Assert.Equal("unknown operation", error.Description);
    }

    [Fact]
    public async Task Not_found_says_the_broker_does_not_know_the_instance()
    {
        Broker.Respond(404);

        var error = AssertFailed(await PollInstanceAsync(), orphanMitigation: false, status: 404);

        Assert.Equal("the broker does not know this service instance (404)", error.Description);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(204)]
    [InlineData(202)]
    public async Task Any_other_status_is_a_failed_poll_without_orphan_mitigation(int status)
    {
        Broker.Respond(status);

        AssertFailed(await PollInstanceAsync(OsbOperationKind.Provision), orphanMitigation: false, status: status);
    }

    [Fact]
    public async Task A_timeout_is_a_failed_poll_without_orphan_mitigation()
    {
        Options.RequestTimeout = TimeSpan.FromMilliseconds(300);
        Broker.Script(Misbehaviour.Hang);

        AssertFailed(await PollInstanceAsync(OsbOperationKind.Provision), orphanMitigation: false, status: null);
    }

    [Fact]
    public async Task Retry_after_in_seconds_is_read()
    {
        Broker.Respond(200, """{"state":"in progress"}""", ("Retry-After", "30"));

        var result = await PollInstanceAsync();

        Assert.Equal(TimeSpan.FromSeconds(30), result.RetryAfter);
    }

    [Fact]
    public async Task Retry_after_as_an_http_date_is_read_as_the_time_until_then()
    {
        var at = DateTimeOffset.UtcNow.AddSeconds(120);
        Broker.Respond(200, """{"state":"in progress"}""", ("Retry-After", at.ToString("r", CultureInfo.InvariantCulture)));

        var result = await PollInstanceAsync();

        Assert.NotNull(result.RetryAfter);
        Assert.InRange(result.RetryAfter!.Value, TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(121));
    }

    [Fact]
    public async Task Retry_after_in_the_past_is_zero()
    {
        Broker.Respond(200, """{"state":"in progress"}""", ("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"));

        Assert.Equal(TimeSpan.Zero, (await PollInstanceAsync()).RetryAfter);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-5")]
    public async Task An_unreadable_retry_after_is_ignored(string value)
    {
        Broker.Respond(200, """{"state":"in progress"}""", ("Retry-After", value));

        var result = await PollInstanceAsync();

        Assert.Equal(OsbOutcome.Succeeded, result.Outcome);
        Assert.Null(result.RetryAfter);
    }

    [Fact]
    public async Task Retry_after_is_kept_on_a_failed_poll_too()
    {
        Broker.Respond(503, null, ("Retry-After", "7"));

        Assert.Equal(TimeSpan.FromSeconds(7), (await PollInstanceAsync()).RetryAfter);
    }

    [Fact]
    public async Task Instance_poll_sends_service_plan_and_the_percent_encoded_operation()
    {
        Broker.Respond(200, """{"state":"in progress"}""");

        await PollInstanceAsync("op 1&x=y/ü");

        var request = Broker.LastRequest;
        Assert.Equal("GET", request.Method);
        Assert.Equal("/brokers/test/v2/service_instances/inst-1/last_operation", request.Path);
        Assert.Equal(ServiceId, request.Query["service_id"]);
        Assert.Equal(PlanId, request.Query["plan_id"]);
        Assert.Equal("op 1&x=y/ü", request.Query["operation"]);
        Assert.False(request.Query.ContainsKey("x"));
        Assert.EndsWith("&operation=op%201%26x%3Dy%2F%C3%BC", request.RawTarget, StringComparison.Ordinal);
        Assert.False(request.Query.ContainsKey("accepts_incomplete"));
    }

    [Fact]
    public async Task Instance_poll_leaves_out_hints_it_does_not_have()
    {
        Broker.Respond(200, """{"state":"in progress"}""");

        await Client.GetInstanceLastOperationAsync(Broker.Endpoint, "inst-1", null, null, null, Call, CancellationToken.None);

        Assert.Empty(Broker.LastRequest.Query);
    }

    [Fact]
    public async Task Binding_poll_goes_to_the_bindings_last_operation()
    {
        Broker.Respond(200, """{"state":"succeeded"}""");

        var result = await Client.GetBindingLastOperationAsync(Broker.Endpoint, "inst-1", "bind-1", ServiceId, PlanId, "op-2", Call, CancellationToken.None);

        Assert.Equal("succeeded", result.Value!.State);
        var request = Broker.LastRequest;
        Assert.Equal("/brokers/test/v2/service_instances/inst-1/service_bindings/bind-1/last_operation", request.Path);
        Assert.Equal("op-2", request.Query["operation"]);
        Assert.Equal(ServiceId, request.Query["service_id"]);
        Assert.Equal(PlanId, request.Query["plan_id"]);
    }

    [Fact]
    public async Task Binding_poll_not_found_says_the_binding_is_unknown()
    {
        Broker.Respond(404);

        var error = AssertFailed(await PollBindingAsync(OsbOperationKind.Bind), orphanMitigation: false, status: 404);

        Assert.Equal("the broker does not know this service binding, or is still creating it (404)", error.Description);
    }
}
