using Ravioli.Services.Osb;
using Ravioli.Services.Tests.Infrastructure;
using Xunit;

namespace Ravioli.Services.Tests.Osb;

/// <summary>Every row of the provision response table and the orphan mitigation table's provisioning rows.</summary>
public sealed class ProvisionTests : ScriptedBrokerTest
{
    [Fact]
    public async Task Created_with_a_dashboard_succeeds()
    {
        Broker.Respond(201, """{"dashboard_url":"http://dash/1","metadata":{"labels":{}},"x-vendor":1}""");

        var result = await ProvisionAsync();

        Assert.Equal(OsbOutcome.Succeeded, result.Outcome);
        Assert.Equal(201, result.StatusCode);
        Assert.Equal("http://dash/1", result.Value!.DashboardUrl);
        Assert.Null(result.Error);
        Assert.False(result.OrphanMitigation);
        Assert.Null(result.Operation);
    }

    [Fact]
    public async Task Ok_for_an_identical_existing_instance_succeeds()
    {
        Broker.Respond(200, "{}");

        var result = await ProvisionAsync();

        Assert.Equal(OsbOutcome.Succeeded, result.Outcome);
        Assert.Equal(200, result.StatusCode);
        Assert.Null(result.Value!.DashboardUrl);
    }

    [Fact]
    public async Task Accepted_is_in_progress_with_the_operation_to_poll()
    {
        Broker.Respond(202, """{"operation":"task_10","dashboard_url":"http://dash/2"}""");

        var result = await ProvisionAsync();

        Assert.Equal(OsbOutcome.InProgress, result.Outcome);
        Assert.Equal(202, result.StatusCode);
        Assert.Equal("task_10", result.Operation);
        Assert.Equal("task_10", result.Value!.Operation);
        Assert.Equal("http://dash/2", result.Value.DashboardUrl);
        Assert.False(result.OrphanMitigation);
    }

    [Fact]
    public async Task Accepted_without_an_operation_is_in_progress_with_no_operation()
    {
        Broker.Respond(202, """{"operation":null}""");

        var result = await ProvisionAsync();

        Assert.Equal(OsbOutcome.InProgress, result.Outcome);
        Assert.Null(result.Operation);
    }

    [Fact]
    public async Task Created_with_a_body_that_is_not_json_fails_and_needs_orphan_mitigation()
    {
        Broker.Respond(201, "<html>created</html>");

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: true, status: 201);

        Assert.Equal("the broker answered 201 with a body that is not JSON", error.Description);
        Assert.Null(error.Code);
    }

    [Fact]
    public async Task Created_with_an_empty_body_fails_and_needs_orphan_mitigation()
    {
        Broker.Respond(201, "");

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: true, status: 201);

        Assert.Equal("the broker answered 201 with an empty body instead of a JSON object", error.Description);
    }

    [Fact]
    public async Task Created_with_a_json_array_fails_and_needs_orphan_mitigation()
    {
        Broker.Respond(201, "[1,2]");

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: true, status: 201);

        Assert.Equal("the broker answered 201 with a body that is an array, not a JSON object", error.Description);
    }

    [Fact]
    public async Task Created_with_a_dashboard_url_of_the_wrong_type_fails_and_needs_orphan_mitigation()
    {
        Broker.Respond(201, """{"dashboard_url":42}""");

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: true, status: 201);

        Assert.Equal("the broker answered 201 with \"dashboard_url\" that is a number, not a string", error.Description);
    }

    [Fact]
    public async Task Ok_with_a_malformed_body_fails_without_orphan_mitigation_as_the_table_says()
    {
        Broker.Respond(200, "not json");

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: false, status: 200);

        Assert.Equal("the broker answered 200 with a body that is not JSON", error.Description);
    }

    [Fact]
    public async Task Accepted_with_a_malformed_body_fails_and_needs_orphan_mitigation()
    {
        Broker.Respond(202, """{"operation":7}""");

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: true, status: 202);

        Assert.Equal("the broker answered 202 with \"operation\" that is a number, not a string", error.Description);
    }

    [Fact]
    public async Task Accepted_with_an_operation_over_10000_characters_fails_and_needs_orphan_mitigation()
    {
        Broker.Respond(202, $$"""{"operation":"{{new string('o', 10_001)}}"}""");

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: true, status: 202);

        Assert.Equal("the broker answered 202 with an \"operation\" longer than 10,000 characters", error.Description);
    }

    [Theory]
    [InlineData(204)]
    [InlineData(206)]
    public async Task Another_2xx_fails_and_needs_orphan_mitigation(int status)
    {
        Broker.Respond(status);

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: true, status: status);

        Assert.Equal($"the broker answered {status}, which OSB does not allow as an answer to a provision", error.Description);
    }

    [Fact]
    public async Task Bad_request_fails_with_the_brokers_description_and_no_orphan_mitigation()
    {
        Broker.Respond(400, """{"description":"plan_id is missing"}""");

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: false, status: 400);

        Assert.Equal("plan_id is missing", error.Description);
        Assert.Null(error.Code);
    }

    [Fact]
    public async Task Bad_request_without_a_description_gets_ours()
    {
        Broker.Respond(400);

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: false, status: 400);

        Assert.Equal("the broker rejected the request as malformed (400)", error.Description);
    }

    [Fact]
    public async Task Conflict_fails_without_orphan_mitigation()
    {
        Broker.Respond(409, "{}");

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: false, status: 409);

        Assert.Equal("the broker already has a service instance with this id but different attributes (409)", error.Description);
    }

    [Theory]
    [InlineData("AsyncRequired")]
    [InlineData("MaintenanceInfoConflict")]
    [InlineData("ConcurrencyError")]
    public async Task Unprocessable_fails_with_the_error_code_and_no_orphan_mitigation(string code)
    {
        Broker.Respond(422, $$"""{"error":"{{code}}","description":"cannot do that now"}""");

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: false, status: 422);

        Assert.Equal(code, error.Code);
        Assert.Equal("cannot do that now", error.Description);
    }

    [Fact]
    public async Task Unprocessable_without_a_description_names_the_code()
    {
        Broker.Respond(422, """{"error":"MaintenanceInfoConflict"}""");

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: false, status: 422);

        Assert.Equal("the broker cannot process the request (MaintenanceInfoConflict, 422)", error.Description);
    }

    [Fact]
    public async Task Request_timeout_408_fails_without_orphan_mitigation_as_the_table_says()
    {
        Broker.Respond(408);

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: false, status: 408);

        Assert.Equal("the broker timed out waiting for the request (408)", error.Description);
    }

    [Theory]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(429)]
    public async Task Other_4xx_fail_without_orphan_mitigation(int status)
    {
        Broker.Respond(status);

        AssertFailed(await ProvisionAsync(), orphanMitigation: false, status: status);
    }

    [Fact]
    public async Task Unauthorized_says_to_check_the_credentials()
    {
        Broker.Respond(401, """{"description":"Unauthorized"}""");

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: false, status: 401);

        Assert.Equal("the broker rejected the credentials (401); check the broker's username and password", error.Description);
    }

    [Fact]
    public async Task Server_error_fails_with_the_brokers_description_and_orphan_mitigation()
    {
        Broker.Respond(500, """{"error":"InternalError","description":"database on fire"}""");

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: true, status: 500);

        Assert.Equal("database on fire", error.Description);
        Assert.Equal("InternalError", error.Code);
    }

    [Fact]
    public async Task Server_error_with_an_html_page_gets_our_description()
    {
        Broker.Script(context => ScriptedBroker.Reply(context, 502, "<html>Bad Gateway</html>"));

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: true, status: 502);

        Assert.Equal("the broker failed with 502", error.Description);
    }

    [Fact]
    public async Task Server_error_with_a_huge_body_still_needs_orphan_mitigation()
    {
        Options.MaxResponseBytes = 1024;
        Broker.Script(Misbehaviour.HugeBody(500, 10_000, declareLength: true));

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: true, status: 500);

        Assert.Equal("the broker answered 500 with a body larger than 1024 bytes (OsbClientOptions.MaxResponseBytes)", error.Description);
    }

    [Fact]
    public async Task Redirect_fails_without_orphan_mitigation_and_says_to_check_the_url()
    {
        Broker.Respond(302, null, ("Location", "http://login.example/sso"));

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: false, status: 302);

        Assert.Equal(
            "the broker answered 302, a redirect to http://login.example/sso; brokers answer OSB requests themselves, so check the broker URL",
            error.Description);
    }

    [Fact]
    public async Task No_answer_within_the_timeout_fails_and_needs_orphan_mitigation()
    {
        Options.RequestTimeout = TimeSpan.FromMilliseconds(300);
        Broker.Script(Misbehaviour.Hang);

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: true, status: null);

        Assert.Equal("the broker did not answer within 0.3 s", error.Description);
    }

    [Fact]
    public async Task A_connection_dropped_after_the_request_was_sent_needs_orphan_mitigation()
    {
        Broker.Script(Misbehaviour.DropConnection);

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: true, status: null);

        Assert.Equal("the connection to the broker broke before it answered (connection reset by the broker)", error.Description);
    }

    [Fact]
    public async Task An_answer_that_is_not_http_needs_orphan_mitigation()
    {
        await using var raw = new RawBroker("garbage\r\n\r\n");

        var result = await Client.ProvisionAsync(raw.Endpoint, "inst-1", ProvisionRequest, Call, CancellationToken.None);

        var error = AssertFailed(result, orphanMitigation: true, status: null);
        Assert.Equal("the broker did not answer with valid HTTP (Received an invalid status line: 'garbage')", error.Description);
    }

    [Fact]
    public async Task A_refused_connection_needs_no_orphan_mitigation()
    {
        var endpoint = Misbehaviour.RefusingEndpoint();

        var result = await Client.ProvisionAsync(endpoint, "inst-1", ProvisionRequest, Call, CancellationToken.None);

        var error = AssertFailed(result, orphanMitigation: false, status: null);
        Assert.Equal($"could not connect to the broker at {endpoint.Url} (connection refused)", error.Description);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Created_with_a_body_over_the_limit_fails_and_needs_orphan_mitigation(bool declareLength)
    {
        Options.MaxResponseBytes = 64 * 1024;
        Broker.Script(Misbehaviour.HugeBody(201, 2 * 1024 * 1024, declareLength));

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: true, status: 201);

        Assert.Equal("the broker answered 201 with a body larger than 65536 bytes (OsbClientOptions.MaxResponseBytes)", error.Description);
    }

    [Fact]
    public async Task Ok_with_a_body_over_the_limit_fails_without_orphan_mitigation()
    {
        Options.MaxResponseBytes = 1024;
        Broker.Script(Misbehaviour.HugeBody(200, 4096, declareLength: false));

        AssertFailed(await ProvisionAsync(), orphanMitigation: false, status: 200);
    }

    [Fact]
    public async Task Created_with_a_truncated_body_fails_and_needs_orphan_mitigation()
    {
        await using var raw = new RawBroker(
            "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"dashboard_url\":\"http://da");

        var result = await Client.ProvisionAsync(raw.Endpoint, "inst-1", ProvisionRequest, Call, CancellationToken.None);

        var error = AssertFailed(result, orphanMitigation: true, status: 201);

        Assert.StartsWith("the broker answered 201 with a body cut off before its end (", error.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Created_with_a_body_that_stalls_past_the_timeout_fails_and_needs_orphan_mitigation()
    {
        // Long enough that the status line always arrives in time, even on a busy machine.
        Options.RequestTimeout = TimeSpan.FromMilliseconds(1500);
        Broker.Script(Misbehaviour.StallBody(201, """{"dashboard_url":"""));

        var error = AssertFailed(await ProvisionAsync(), orphanMitigation: true, status: 201);

        Assert.Equal("the broker answered 201 with a body it did not finish sending within 1.5 s", error.Description);
    }

    [Fact]
    public async Task A_short_HttpClient_timeout_is_the_one_reported()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromMilliseconds(250) };
        Broker.Script(Misbehaviour.Hang);

        var result = await new OsbClient(http, new OsbClientOptions()).ProvisionAsync(Broker.Endpoint, "inst-1", ProvisionRequest, Call, CancellationToken.None);

        var error = AssertFailed(result, orphanMitigation: true, status: null);
        Assert.Equal("the broker did not answer within 0.25 s", error.Description);
    }

    [Fact]
    public async Task The_callers_cancellation_throws_instead_of_reporting_a_timeout()
    {
        Broker.Script(Misbehaviour.Hang);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Client.ProvisionAsync(Broker.Endpoint, "inst-1", ProvisionRequest, Call, cancel.Token));
    }
}
