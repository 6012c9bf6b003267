using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Ravioli.Core.Security;
using Ravioli.Node.Desired;
using Ravioli.Node.Logs;
using Ravioli.Node.Reconciling;
using Ravioli.Runtime.Local;

namespace Ravioli.Node.Api;

/// <summary>An instance as the node reports it to the control plane.</summary>
public sealed record NodeInstance(
    string InstanceGuid, string ProcessGuid, string AppGuid, string ProcessType, int Index, int Generation, string State,
    int? Port, DateTimeOffset? StartedAt, double CpuPercent, long MemoryBytes, long DiskBytes, int MemoryMb, int DiskMb,
    int CrashCount, string? LastCrashReason);

/// <summary>What the control plane reads from the node: instances and logs. Loopback, node token only.</summary>
public static class NodeInternalApi
{
    public static WebApplication MapNodeInternalApi(this WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" }));
        var v1 = app.MapGroup("/v1");
        v1.AddEndpointFilter(async (context, next) =>
        {
            var token = context.HttpContext.RequestServices.GetRequiredService<NodeToken>();
            if (!token.MatchesHeader(context.HttpContext.Request.Headers.Authorization.ToString()))
            {
                return Results.Problem(statusCode: 401, title: "Authentication required", detail: "The node's API is for the control plane and needs the node token.");
            }
            return await next(context);
        });
        v1.MapGet("/instances", (string? process_guid, string? app_guid, LocalExecutor executor, DesiredStateSource desired) =>
        {
            var specs = desired.Current.Processes.ToDictionary(p => p.ProcessGuid, StringComparer.Ordinal);
            return Results.Json(executor.Snapshot()
                .Select(s => (Status: s, Name: InstanceName.TryParse(s.InstanceGuid)))
                .Where(x => x.Name is not null && (process_guid is null || x.Name.ProcessGuid == process_guid) && (app_guid is null || x.Status.AppGuid == app_guid))
                .Select(x =>
                {
                    specs.TryGetValue(x.Name!.ProcessGuid, out var process);
                    return new NodeInstance(x.Status.InstanceGuid, x.Name.ProcessGuid, x.Status.AppGuid, x.Status.ProcessType, x.Status.Index, x.Name.Generation,
                        x.Status.State, x.Status.Port, x.Status.StartedAt, x.Status.CpuPercent, x.Status.MemoryBytes, x.Status.DiskBytes,
                        process?.Run.MemoryMb ?? 0, process?.Run.DiskMb ?? 0, x.Status.CrashCount, x.Status.LastCrashReason);
                }).ToList(), DesiredStateSource.Json);
        });
        v1.MapGet("/events", (long? after, NodeEventLog events) =>
            Results.Json(new { last_seq = events.LastSeq, events = events.Since(after ?? 0, 1000) }, DesiredStateSource.Json));
        v1.MapGet("/logs", async (HttpContext context, string app_guid, bool? follow, int? lines, AppLogStore logs) =>
        {
            var count = Math.Clamp(lines ?? 100, 0, 10_000);
            context.Response.ContentType = "application/x-ndjson";
            var source = follow == true
                ? logs.FollowAsync(app_guid, count, context.RequestAborted)
                : logs.Recent(app_guid, count).ToAsyncEnumerable();
            try
            {
                await foreach (var line in source)
                {
                    await context.Response.WriteAsync(JsonSerializer.Serialize(line, DesiredStateSource.Json) + "\n", context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                }
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The follower went away; nothing to report.
            }
        });
        return app;
    }
}
