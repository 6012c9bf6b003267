using System.Text.Json.Nodes;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Apps;

/// <summary>Stages a package into a droplet, tracing the build's output as it happens (push and restage).</summary>
internal static class Staging
{
    // The build's state is what a push waits on between staging and start: a short pause costs one cheap GET.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    // As cf's CF_STAGING_TIMEOUT: a build that has said nothing conclusive in 15 minutes is not coming back.
    private static readonly TimeSpan StagingTimeout = TimeSpan.FromMinutes(15);

    // Once the build is over, its log has at most a moment of output left in flight.
    private static readonly TimeSpan LogDrain = TimeSpan.FromSeconds(2);

    /// <summary>Runs a build and returns the staged droplet's guid; a failed build throws with the platform's reason.</summary>
    public static async Task<string> StageAsync(CliSession session, AppResource app, string packageGuid, IReadOnlyList<string>? buildpacks, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["package"] = new JsonObject { ["guid"] = packageGuid } };
        if (buildpacks is { Count: > 0 })
        {
            body["lifecycle"] = new JsonObject
            {
                ["type"] = "buildpack",
                ["data"] = new JsonObject { ["buildpacks"] = new JsonArray([.. buildpacks.Select(b => JsonValue.Create(b))]) },
            };
        }

        session.Ui.Say("Staging app and tracing logs...");
        var build = Json.Resource<BuildResource>(await session.Api.PostAsync("/v3/builds", body, cancellationToken));

        // The log and the build's state are read side by side: the log is only for people to watch, and a
        // log stream that never ends must not keep rav waiting once the build itself is over.
        using var logStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var log = TraceLogAsync(session, build.Guid, logStop.Token);
        try
        {
            build = await PollAsync(session, build, cancellationToken);
            logStop.CancelAfter(LogDrain);
            await log;
        }
        finally
        {
            await logStop.CancelAsync();
            await log;
        }

        if (string.Equals(build.State, "FAILED", StringComparison.OrdinalIgnoreCase))
        {
            throw new CliException($"Error staging app {app.Name}: {build.Error ?? "the build failed without saying why"}. TIP: use 'rav logs {app.Name} --recent' for more information.");
        }

        return build.Droplet?.Guid
            ?? throw new CliException($"The build of {app.Name} is STAGED but names no droplet. The platform failed; try again.");
    }

    public static async Task SetCurrentDropletAsync(CliSession session, string appGuid, string dropletGuid, CancellationToken cancellationToken)
        => await session.Api.PatchAsync(
            $"/v3/apps/{appGuid}/relationships/current_droplet",
            new JsonObject { ["data"] = new JsonObject { ["guid"] = dropletGuid } },
            cancellationToken);

    private static async Task<BuildResource> PollAsync(CliSession session, BuildResource build, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + StagingTimeout;
        while (string.Equals(build.State, "STAGING", StringComparison.OrdinalIgnoreCase) || build.State is null)
        {
            if (DateTimeOffset.UtcNow >= deadline)
            {
                throw new CliException($"Staging did not finish within {StagingTimeout.TotalMinutes:0} minutes. Check the build with 'rav curl /v3/builds/{build.Guid}'.");
            }

            await Task.Delay(PollInterval, cancellationToken);
            build = Json.Resource<BuildResource>(await session.Api.GetAsync($"/v3/builds/{build.Guid}", cancellationToken));
        }

        return build;
    }

    /// <summary>Copies the build's log to stdout line by line; a missing log (older platforms) is not an error.</summary>
    private static async Task TraceLogAsync(CliSession session, string buildGuid, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await session.Api.OpenStreamAsync($"/v3/builds/{buildGuid}/log", cancellationToken);
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                session.Ui.Say($"   {line}");
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is CliException or HttpRequestException or IOException)
        {
            // The build's own state decides success; a broken log stream only costs the trace.
        }
    }
}
