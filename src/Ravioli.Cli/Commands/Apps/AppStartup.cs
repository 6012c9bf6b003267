using System.Diagnostics;
using System.Net;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Apps;

/// <summary>Starting and restarting an app, then waiting for its web instances like cf does.</summary>
internal static class AppStartup
{
    private const int DefaultStartTimeoutSeconds = 60;

    // The platform marks an instance crashed when its health check times out; a little slack lets
    // rav report that crash (with its reason) rather than a bare timeout.
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(5);

    public static async Task<AppResource> StartAsync(CliSession session, AppResource app, CancellationToken cancellationToken)
        => Json.Resource<AppResource>(await session.Api.PostAsync($"/v3/apps/{app.Guid}/actions/start", new System.Text.Json.Nodes.JsonObject(), cancellationToken));

    public static async Task<AppResource> RestartAsync(CliSession session, AppResource app, CancellationToken cancellationToken)
        => Json.Resource<AppResource>(await session.Api.PostAsync($"/v3/apps/{app.Guid}/actions/restart", new System.Text.Json.Nodes.JsonObject(), cancellationToken));

    public static async Task<AppResource> StopAsync(CliSession session, AppResource app, CancellationToken cancellationToken)
        => Json.Resource<AppResource>(await session.Api.PostAsync($"/v3/apps/{app.Guid}/actions/stop", new System.Text.Json.Nodes.JsonObject(), cancellationToken));

    /// <summary>
    /// Waits until every web instance runs. Fails when one crashes or the start timeout passes; a rolling
    /// restart replaces instances one at a time, so it gets the timeout once per instance. When the
    /// instances cannot be observed at all (no stats), says so and returns rather than guess.
    /// <paramref name="restartedAt"/> (a <see cref="Stopwatch"/> timestamp taken before the restart was asked for)
    /// makes it wait for the new generation: instances that were running before it do not count, as with cf push.
    /// </summary>
    public static async Task WaitAsync(CliSession session, AppResource app, bool rolling, CancellationToken cancellationToken, long? restartedAt = null)
    {
        ProcessResource web;
        try
        {
            web = Json.Resource<ProcessResource>(await session.Api.GetAsync($"/v3/apps/{app.Guid}/processes/web", cancellationToken));
        }
        catch (ApiException e) when (e.Status == HttpStatusCode.NotFound)
        {
            return;
        }

        if (web.Instances == 0)
        {
            return;
        }

        var seconds = web.HealthCheck?.Data?.Timeout ?? DefaultStartTimeoutSeconds;
        var timeout = (TimeSpan.FromSeconds(seconds) * (rolling ? web.Instances : 1)) + Slack;
        var watcher = new InstanceWatcher(
            async ct =>
            {
                var (stats, problem) = await ProcessStats.TryReadAsync(session.Api, web.Guid, ct);
                return restartedAt is { } since && stats is not null
                    ? (InstanceWatcher.MarkReplaced(stats, Stopwatch.GetElapsedTime(since)), problem)
                    : (stats, problem);
            },
            Task.Delay,
            () => DateTimeOffset.UtcNow);
        session.Ui.Say($"Waiting for app {app.Name} to start...");
        var reported = false;
        void Report(string line)
        {
            if (!reported)
            {
                session.Ui.Blank();
                reported = true;
            }

            session.Ui.Say(line);
        }

        var outcome = await watcher.WaitAsync(web.Instances, timeout, Report, cancellationToken);
        switch (outcome)
        {
            case StartOutcome.Crashed crashed:
                throw new CliException(
                    $"App {app.Name} crashed: instance #{crashed.Index}: {crashed.Details ?? "no reason given"}. TIP: use 'rav logs {app.Name} --recent' for more information.");
            case StartOutcome.TimedOut:
                throw new CliException($"Start app timeout. TIP: use 'rav logs {app.Name} --recent' for more information.");
            case StartOutcome.Unknown unknown:
                session.Ui.Warn($"Cannot see whether the instances of {app.Name} are running ({unknown.Reason}); not waiting for them. Check with 'rav app {app.Name}'.");
                break;
        }
    }
}
