using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ravioli.Api.Http;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Runs;

/// <summary>A crash (or other instance event) as the node numbers it.</summary>
public sealed record NodeEvent(
    long Seq, string Type, string InstanceGuid, string AppGuid, string ProcessType, int Index, DateTimeOffset Timestamp,
    int? ExitCode, string? Reason, int CrashCount);

public sealed record NodeEventPage(long LastSeq, IReadOnlyList<NodeEvent> Events);

/// <summary>
/// Turns the node's instance crashes into audit events ("audit.app.process.crash", as Cloud Foundry names them),
/// so `rav events APP` shows them with exit code and reason. Each event's guid is derived from the node's
/// sequence number, so a restart between writing events and saving the cursor never records one twice.
/// </summary>
public sealed partial class NodeEventsPoller(IServiceScopeFactory scopes, NodeClient node, IOptions<RavioliApiOptions> options, ILogger<NodeEventsPoller> logger) : BackgroundService
{
    /// <summary>The node names task instances "task-TASKGUID".</summary>
    public const string TaskPrefix = "task-";

    private string CursorFile => Path.Combine(options.Value.DataDirectory, "node-events.cursor");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var cursor = File.Exists(CursorFile) && long.TryParse(await File.ReadAllTextAsync(CursorFile, stoppingToken), out var saved) ? saved : 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var page = await node.EventsAsync(cursor, stoppingToken);
                if (page is not null)
                {
                    // The node's log started over (its state was wiped): read it from the start; guids keep this idempotent.
                    if (page.LastSeq < cursor)
                    {
                        cursor = 0;
                    }
                    if (page.Events.Count > 0)
                    {
                        await RecordAsync(page.Events, stoppingToken);
                        cursor = page.Events[^1].Seq;
                        await File.WriteAllTextAsync(CursorFile, cursor.ToString(System.Globalization.CultureInfo.InvariantCulture), stoppingToken);
                        continue;
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogPollFailed(logger, e);
            }
            await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task RecordAsync(IReadOnlyList<NodeEvent> events, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RavioliDb>();
        var appGuids = events.Select(e => e.AppGuid).Distinct().ToArray();
        var apps = await db.Apps.AsNoTracking().Include(a => a.Space).Where(a => appGuids.Contains(a.Guid)).ToDictionaryAsync(a => a.Guid, ct);
        // Tasks end with a "completed" event: their state follows it (a cancelled task stays as cancelled).
        var taskGuids = events.Where(e => e.Type == "completed" && e.InstanceGuid.StartsWith(TaskPrefix, StringComparison.Ordinal))
            .Select(e => e.InstanceGuid[TaskPrefix.Length..]).ToArray();
        var tasks = await db.Tasks.Where(t => taskGuids.Contains(t.Guid) && t.State == Core.Apps.TaskStates.Running).ToDictionaryAsync(t => t.Guid, ct);
        foreach (var e in events.Where(e => e.Type == "completed"))
        {
            if (tasks.TryGetValue(e.InstanceGuid.Replace(TaskPrefix, "", StringComparison.Ordinal), out var task))
            {
                task.State = e.Reason is null && e.ExitCode == 0 ? Core.Apps.TaskStates.Succeeded : Core.Apps.TaskStates.Failed;
                task.ExitCode = e.ExitCode;
                task.FailureReason = e.Reason;
            }
        }
        var guids = events.Select(EventGuid).ToArray();
        var existing = (await db.AuditEvents.Where(a => guids.Contains(a.Guid)).Select(a => a.Guid).ToListAsync(ct)).ToHashSet();
        foreach (var e in events)
        {
            if (e.Type != "crashed" || !apps.TryGetValue(e.AppGuid, out var app) || existing.Contains(EventGuid(e)))
            {
                continue;
            }
            db.AuditEvents.Add(new AuditEventEntity
            {
                Guid = EventGuid(e),
                Type = "audit.app.process.crash",
                ActorGuid = e.InstanceGuid,
                ActorType = "process",
                ActorName = e.ProcessType,
                TargetGuid = app.Guid,
                TargetType = "app",
                TargetName = app.Name,
                OrganizationGuid = app.Space!.OrganizationGuid,
                SpaceGuid = app.SpaceGuid,
                Data = JsonSerializer.Serialize(new { index = e.Index, exit_code = e.ExitCode, reason = e.Reason, crash_count = e.CrashCount, instance = e.InstanceGuid, crash_timestamp = e.Timestamp }, JsonBody.Options),
            });
        }
        await db.SaveChangesAsync(ct);
    }

    private static string EventGuid(NodeEvent e) =>
        new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"node-event:{e.InstanceGuid}:{e.Seq}:{e.Timestamp.UtcTicks}")).AsSpan(0, 16)).ToString();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reading the node's events failed; retrying")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}
