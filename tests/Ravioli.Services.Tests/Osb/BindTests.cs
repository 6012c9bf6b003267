using Ravioli.Services.Osb;
using Ravioli.Services.Tests.Infrastructure;
using Xunit;

namespace Ravioli.Services.Tests.Osb;

/// <summary>Every row of the binding response table and the orphan mitigation table's binding rows.</summary>
public sealed class BindTests : ScriptedBrokerTest
{
    private const string VolumeMount =
        """{"driver":"cephdriver","container_dir":"/data/images","mode":"r","device_type":"shared","device":{"volume_id":"bc2c1eab","mount_config":{"key":"value"}}}""";

    [Fact]
    public async Task Created_returns_credentials_drain_route_service_and_volume_mounts()
    {
        Broker.Respond(201, $$$"""
            {"credentials":{"uri":"mysql://u:p@h:3306/db","port":3306},"syslog_drain_url":"syslog://logs:514",
             "route_service_url":"https://rs.example","volume_mounts":[{{{VolumeMount}}}],"endpoints":[{"host":"h","ports":["3306"]}],
             "metadata":{"expires_at":"2030-01-01T00:00:00.0Z"}}
            """);

        var result = await BindAsync();

        Assert.Equal(OsbOutcome.Succeeded, result.Outcome);
        Assert.Equal(201, result.StatusCode);
        var value = result.Value!;
        Assert.Equal("mysql://u:p@h:3306/db", (string?)value.Credentials!["uri"]);
        Assert.Equal(3306, (int?)value.Credentials["port"]);
        Assert.Equal("syslog://logs:514", value.SyslogDrainUrl);
        Assert.Equal("https://rs.example", value.RouteServiceUrl);
        Assert.Equal("/data/images", (string?)value.VolumeMounts![0]!["container_dir"]);
        Assert.Null(value.Operation);
        Assert.False(result.OrphanMitigation);
    }

    [Fact]
    public async Task Ok_for_an_identical_existing_binding_succeeds()
    {
        Broker.Respond(200, """{"credentials":{"password":"pw"}}""");

        var result = await BindAsync();

        Assert.Equal(OsbOutcome.Succeeded, result.Outcome);
        Assert.Equal("pw", (string?)result.Value!.Credentials!["password"]);
    }

    [Fact]
    public async Task Created_without_credentials_succeeds_with_none()
    {
        Broker.Respond(201, "{}");

        var result = await BindAsync();

        Assert.Equal(OsbOutcome.Succeeded, result.Outcome);
        Assert.Null(result.Value!.Credentials);
        Assert.Null(result.Value.VolumeMounts);
    }

    [Fact]
    public async Task Accepted_is_in_progress_and_ignores_credentials_the_spec_forbids_there()
    {
        Broker.Respond(202, """{"operation":"bind-7","credentials":{"password":"too-early"}}""");

        var result = await BindAsync();

        Assert.Equal(OsbOutcome.InProgress, result.Outcome);
        Assert.Equal("bind-7", result.Operation);
        Assert.Null(result.Value!.Credentials);
    }

    [Fact]
    public async Task Created_with_credentials_that_are_not_an_object_fails_and_needs_orphan_mitigation()
    {
        Broker.Respond(201, """{"credentials":"user:hunter2-password"}""");

        var error = AssertFailed(await BindAsync(), orphanMitigation: true, status: 201);

        Assert.Equal("the broker answered 201 with \"credentials\" that is a string, not an object", error.Description);
        Assert.DoesNotContain("hunter2", error.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_answer_never_repeats_the_credentials_in_the_description()
    {
        Broker.Respond(201, """{"credentials":{"password":"hunter2-password"},"syslog_drain_url":12}""");

        var error = AssertFailed(await BindAsync(), orphanMitigation: true, status: 201);

        Assert.Equal("the broker answered 201 with \"syslog_drain_url\" that is a number, not a string", error.Description);
    }

    [Theory]
    [InlineData("""{"volume_mounts":{}}""", "\"volume_mounts\" that is an object, not an array")]
    [InlineData("""{"volume_mounts":[1]}""", "\"volume_mounts[0]\" that is a number, not an object")]
    [InlineData("""{"volume_mounts":[{"driver":"d","container_dir":"/x","mode":"r","device_type":"shared"}]}""", "\"volume_mounts[0]\" without a \"device\" object holding a string \"volume_id\"")]
    [InlineData("""{"volume_mounts":[{"driver":"d","container_dir":"/x","mode":"w","device_type":"shared","device":{"volume_id":"v"}}]}""", "\"volume_mounts[0].mode\" that is neither \"r\" nor \"rw\"")]
    [InlineData("""{"volume_mounts":[{"container_dir":"/x","mode":"r","device_type":"shared","device":{"volume_id":"v"}}]}""", "\"volume_mounts[0]\" without the string \"driver\" the spec requires")]
    public async Task Created_with_invalid_volume_mounts_fails_and_needs_orphan_mitigation(string body, string problem)
    {
        Broker.Respond(201, body);

        var error = AssertFailed(await BindAsync(), orphanMitigation: true, status: 201);

        Assert.Equal("the broker answered 201 with " + problem, error.Description);
    }

    [Fact]
    public async Task Ok_with_a_malformed_body_fails_without_orphan_mitigation()
    {
        Broker.Respond(200, "{");

        AssertFailed(await BindAsync(), orphanMitigation: false, status: 200);
    }

    [Fact]
    public async Task Accepted_with_a_malformed_body_fails_and_needs_orphan_mitigation()
    {
        Broker.Respond(202, "operation=1");

        AssertFailed(await BindAsync(), orphanMitigation: true, status: 202);
    }

    [Fact]
    public async Task Another_2xx_fails_and_needs_orphan_mitigation()
    {
        Broker.Respond(204);

        var error = AssertFailed(await BindAsync(), orphanMitigation: true, status: 204);

        Assert.Equal("the broker answered 204, which OSB does not allow as an answer to a bind", error.Description);
    }

    [Fact]
    public async Task Bad_request_fails_without_orphan_mitigation()
    {
        Broker.Respond(400, """{"description":"unknown parameter 'x'"}""");

        var error = AssertFailed(await BindAsync(), orphanMitigation: false, status: 400);

        Assert.Equal("unknown parameter 'x'", error.Description);
    }

    [Fact]
    public async Task Conflict_fails_without_orphan_mitigation()
    {
        Broker.Respond(409, "{}");

        var error = AssertFailed(await BindAsync(), orphanMitigation: false, status: 409);

        Assert.Equal("the broker already has a service binding with this id but different attributes (409)", error.Description);
    }

    [Theory]
    [InlineData("RequiresApp")]
    [InlineData("AsyncRequired")]
    [InlineData("ConcurrencyError")]
    public async Task Unprocessable_fails_with_the_error_code_and_no_orphan_mitigation(string code)
    {
        Broker.Respond(422, $$"""{"error":"{{code}}"}""");

        var error = AssertFailed(await BindAsync(), orphanMitigation: false, status: 422);

        Assert.Equal(code, error.Code);
    }

    [Fact]
    public async Task Request_timeout_408_fails_without_orphan_mitigation()
    {
        Broker.Respond(408);

        AssertFailed(await BindAsync(), orphanMitigation: false, status: 408);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    public async Task Server_errors_fail_and_need_orphan_mitigation(int status)
    {
        Broker.Respond(status);

        var error = AssertFailed(await BindAsync(), orphanMitigation: true, status: status);

        Assert.Equal($"the broker failed with {status}", error.Description);
    }

    [Fact]
    public async Task No_answer_within_the_timeout_fails_and_needs_orphan_mitigation()
    {
        Options.RequestTimeout = TimeSpan.FromMilliseconds(300);
        Broker.Script(Misbehaviour.Hang);

        var error = AssertFailed(await BindAsync(), orphanMitigation: true, status: null);

        Assert.Equal("the broker did not answer within 0.3 s", error.Description);
    }

    [Fact]
    public async Task A_connection_dropped_after_the_request_was_sent_needs_orphan_mitigation()
    {
        Broker.Script(Misbehaviour.DropConnection);

        AssertFailed(await BindAsync(), orphanMitigation: true, status: null);
    }

    [Fact]
    public async Task A_refused_connection_needs_no_orphan_mitigation()
    {
        var result = await Client.BindAsync(Misbehaviour.RefusingEndpoint(), "inst-1", "bind-1", BindRequest, Call, CancellationToken.None);

        AssertFailed(result, orphanMitigation: false, status: null);
    }

    [Fact]
    public async Task Created_with_a_body_over_the_limit_fails_and_needs_orphan_mitigation()
    {
        Options.MaxResponseBytes = 4096;
        Broker.Script(Misbehaviour.HugeBody(201, 100_000, declareLength: false));

        var error = AssertFailed(await BindAsync(), orphanMitigation: true, status: 201);

        Assert.Equal("the broker answered 201 with a body larger than 4096 bytes (OsbClientOptions.MaxResponseBytes)", error.Description);
    }

    [Fact]
    public async Task Fetching_a_binding_returns_its_credentials()
    {
        Broker.Respond(200, """{"credentials":{"password":"pw"},"parameters":{"a":1}}""");

        var result = await Client.FetchBindingAsync(Broker.Endpoint, "inst-1", "bind-1", ServiceId, PlanId, Call, CancellationToken.None);

        Assert.Equal(OsbOutcome.Succeeded, result.Outcome);
        Assert.Equal("pw", (string?)result.Value!.Credentials!["password"]);
        var request = Broker.LastRequest;
        Assert.Equal("GET", request.Method);
        Assert.Equal("/brokers/test/v2/service_instances/inst-1/service_bindings/bind-1", request.Path);
        Assert.Equal(ServiceId, request.Query["service_id"]);
        Assert.Equal(PlanId, request.Query["plan_id"]);
        Assert.False(request.Query.ContainsKey("accepts_incomplete"));
    }

    [Fact]
    public async Task Fetching_a_binding_the_broker_does_not_know_fails_without_orphan_mitigation()
    {
        Broker.Respond(404, "{}");

        var result = await Client.FetchBindingAsync(Broker.Endpoint, "inst-1", "bind-1", null, null, Call, CancellationToken.None);

        var error = AssertFailed(result, orphanMitigation: false, status: 404);
        Assert.Equal("the broker does not know this service binding, or is still creating it (404)", error.Description);
        Assert.Empty(Broker.LastRequest.Query);
    }

    [Fact]
    public async Task Fetching_a_binding_never_asks_for_orphan_mitigation_even_on_a_server_error()
    {
        Broker.Respond(500);

        var result = await Client.FetchBindingAsync(Broker.Endpoint, "inst-1", "bind-1", null, null, Call, CancellationToken.None);

        AssertFailed(result, orphanMitigation: false, status: 500);
    }
}
