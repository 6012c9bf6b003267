using Ravioli.Services.Osb;
using Ravioli.Services.Tests.Infrastructure;
using Xunit;

namespace Ravioli.Services.Tests.Osb;

/// <summary>The update response table: 200, 202, 400, 422, anything else; a failed update never calls for orphan mitigation.</summary>
public sealed class UpdateTests : ScriptedBrokerTest
{
    [Fact]
    public async Task Ok_succeeds()
    {
        Broker.Respond(200, "{}");

        var result = await UpdateAsync();

        Assert.Equal(OsbOutcome.Succeeded, result.Outcome);
        Assert.Equal(200, result.StatusCode);
        Assert.Null(result.Value!.DashboardUrl);
    }

    [Fact]
    public async Task Ok_can_carry_a_new_dashboard_url()
    {
        Broker.Respond(200, """{"dashboard_url":"http://dash/new"}""");

        var result = await UpdateAsync();

        Assert.Equal("http://dash/new", result.Value!.DashboardUrl);
    }

    [Fact]
    public async Task Accepted_is_in_progress_with_the_operation()
    {
        Broker.Respond(202, """{"operation":"update-3"}""");

        var result = await UpdateAsync();

        Assert.Equal(OsbOutcome.InProgress, result.Outcome);
        Assert.Equal("update-3", result.Operation);
    }

    [Fact]
    public async Task Bad_request_fails()
    {
        Broker.Respond(400, """{"description":"bad"}""");

        var error = AssertFailed(await UpdateAsync(), orphanMitigation: false, status: 400);

        Assert.Equal("bad", error.Description);
    }

    [Fact]
    public async Task Unprocessable_reports_whether_the_instance_is_usable_and_the_update_repeatable()
    {
        Broker.Respond(422, """{"error":"MaintenanceInfoConflict","description":"plan change not supported","instance_usable":true,"update_repeatable":false}""");

        var error = AssertFailed(await UpdateAsync(), orphanMitigation: false, status: 422);

        Assert.Equal("MaintenanceInfoConflict", error.Code);
        Assert.Equal("plan change not supported", error.Description);
        Assert.True(error.InstanceUsable);
        Assert.False(error.UpdateRepeatable);
    }

    [Fact]
    public async Task Error_flags_of_the_wrong_type_are_ignored()
    {
        Broker.Respond(422, """{"description":"nope","instance_usable":"no"}""");

        var error = AssertFailed(await UpdateAsync(), orphanMitigation: false, status: 422);

        Assert.Null(error.InstanceUsable);
        Assert.Null(error.UpdateRepeatable);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(201)]
    [InlineData(204)]
    [InlineData(409)]
    [InlineData(410)]
    public async Task Any_other_status_fails_without_orphan_mitigation(int status)
    {
        Broker.Respond(status);

        AssertFailed(await UpdateAsync(), orphanMitigation: false, status: status);
    }

    [Fact]
    public async Task A_timeout_fails_without_orphan_mitigation()
    {
        Options.RequestTimeout = TimeSpan.FromMilliseconds(300);
        Broker.Script(Misbehaviour.Hang);

        AssertFailed(await UpdateAsync(), orphanMitigation: false, status: null);
    }

    [Fact]
    public async Task Accepted_with_a_malformed_body_fails_without_orphan_mitigation()
    {
        Broker.Respond(202, "]");

        var error = AssertFailed(await UpdateAsync(), orphanMitigation: false, status: 202);

        Assert.Equal("the broker answered 202 with a body that is not JSON", error.Description);
    }
}
