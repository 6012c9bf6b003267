using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Ravioli.Api.Secrets;
using Ravioli.Core.Faults;
using Ravioli.Services.Osb;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Brokering;

/// <summary>The request in flight, sealed on the row until the broker has answered (it may hold secrets in parameters).</summary>
public sealed record PendingServiceRequest(JsonObject? Parameters, string? PlanGuid);

/// <summary>
/// Carries every service instance and binding operation through to its broker, in the background. Level-triggered:
/// each pass reads the rows that are "in progress" (or owe the broker an orphan-mitigation delete) and moves each
/// one step — send the request, or poll its last_operation. A crash between sending and recording only means the
/// request is sent again after the restart, which OSB makes safe (brokers answer an identical request with 200/202).
/// </summary>
public sealed partial class ServiceOperations(
    IServiceScopeFactory scopes, OsbClient osb, BrokerCatalogs catalogs, SecretBox secrets, TimeProvider time, ILogger<ServiceOperations> logger) : BackgroundService
{
    /// <summary>How long a broker may keep an operation in progress when its plan does not say (maximum_polling_duration).</summary>
    public static TimeSpan DefaultMaximumPollingDuration { get; set; } = TimeSpan.FromHours(1);

    private static readonly TimeSpan MaxPollInterval = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>When each row may next be worked on (Environment.TickCount64 ms) and how many polls it has had: memory only, a restart polls at once.</summary>
    private readonly ConcurrentDictionary<string, (long DueMs, int Polls)> _schedule = new();

    /// <summary>Asks for a pass now (after an API call queued an operation).</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // A pass is already due.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PassAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (Store.StoreSetup.IsUnavailable(e))
            {
                LogDatabaseUnavailable(logger, e.Message);
            }
#pragma warning disable CA1031 // the loop must survive anything one pass throws
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogPassFailed(logger, e);
            }
            try
            {
                await _wake.WaitAsync(TimeSpan.FromMilliseconds(500), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass over every operation that is due. Public so tests can drive it deterministically.</summary>
    public async Task PassAsync(CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<RavioliDb>();
        var instances = await db.ServiceInstances
            .Where(i => i.Type == InstanceTypes.Managed && (i.LastOperationState == OperationStates.InProgress || i.OrphanMitigation))
            .Select(i => i.Guid).ToListAsync(ct);
        foreach (var guid in instances.Where(Due))
        {
            await StepAsync(guid, StepInstanceAsync, ct);
        }
        var bindings = await db.ServiceBindings
            .Where(b => b.Instance!.Type == InstanceTypes.Managed && (b.LastOperationState == OperationStates.InProgress || b.OrphanMitigation))
            .Select(b => b.Guid).ToListAsync(ct);
        foreach (var guid in bindings.Where(Due))
        {
            await StepAsync(guid, StepBindingAsync, ct);
        }
        foreach (var gone in _schedule.Keys.Except(instances).Except(bindings).ToList())
        {
            _schedule.TryRemove(gone, out _);
        }
    }

    private bool Due(string guid) => !_schedule.TryGetValue(guid, out var s) || s.DueMs <= Environment.TickCount64;

    private async Task StepAsync(string guid, Func<RavioliDb, string, CancellationToken, Task> step, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<RavioliDb>();
        try
        {
            await step(db, guid, ct);
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Someone changed the row meanwhile (a purge, an admin); the next pass reads it afresh.
        }
    }

    private void PollLater(string guid, TimeSpan? retryAfter)
    {
        var polls = _schedule.TryGetValue(guid, out var s) ? s.Polls + 1 : 1;
        // Honour the broker's Retry-After; otherwise back off from 1 s to 30 s.
        var wait = retryAfter ?? TimeSpan.FromSeconds(Math.Min(MaxPollInterval.TotalSeconds, Math.Pow(1.5, Math.Min(polls, 20)) - 0.5));
        _schedule[guid] = (Environment.TickCount64 + (long)wait.TotalMilliseconds, polls);
    }

    private void RetryLater(string guid) => PollLater(guid, null);

    private void Forget(string guid) => _schedule.TryRemove(guid, out _);

    private static OsbCallContext Call(ServiceOperationEntity row, ServiceInstanceEntity instance) =>
        new(row.OperationUserGuid, PlatformContext(instance));

    /// <summary>The OSB context object: Cloud Foundry's profile, which brokers written for CF understand.</summary>
    public static string PlatformContext(ServiceInstanceEntity instance) => new JsonObject
    {
        ["platform"] = "cloudfoundry",
        ["organization_guid"] = instance.Space!.OrganizationGuid,
        ["space_guid"] = instance.SpaceGuid,
        ["organization_name"] = instance.Space.Organization!.Name,
        ["space_name"] = instance.Space.Name,
        ["instance_name"] = instance.Name,
    }.ToJsonString();

    private PendingServiceRequest Pending(ServiceOperationEntity row) =>
        row.PendingRequest is null ? new(null, null) : JsonSerializer.Deserialize<PendingServiceRequest>(secrets.Open(row.PendingRequest))!;

    public string SealPending(PendingServiceRequest request) => secrets.Seal(JsonSerializer.Serialize(request));

    private static IQueryable<ServiceInstanceEntity> WithBroker(IQueryable<ServiceInstanceEntity> q) =>
        q.Include(i => i.Plan!).ThenInclude(p => p.Offering!).ThenInclude(o => o.Broker!).Include(i => i.Space!).ThenInclude(s => s.Organization);

    private void Finish(ServiceOperationEntity row, string state, string? description)
    {
        row.LastOperationState = state;
        row.LastOperationDescription = Truncate(description);
        row.LastOperationUpdatedAt = time.GetUtcNow().UtcDateTime;
        row.BrokerOperation = null;
        row.PendingRequest = null;
        Forget(row.Guid);
    }

    private void Progress(ServiceOperationEntity row, string? description)
    {
        if (description is not null)
        {
            row.LastOperationDescription = Truncate(description);
        }
        row.LastOperationUpdatedAt = time.GetUtcNow().UtcDateTime;
    }

    /// <summary>
    /// A named step of this row's operation where the fault suite may kill the process: <c>provision</c>, <c>update</c>,
    /// <c>deprovision</c>, <c>bind</c> or <c>unbind</c>, then the step. Every step is reached after the broker answered
    /// and before the answer is committed, the window in which a crash makes the platform and the broker disagree.
    /// </summary>
    private static void Reach(ServiceOperationEntity row, string step)
    {
        var verb = row is ServiceBindingEntity
            ? row.LastOperationType == OperationTypes.Create ? "bind" : "unbind"
            : row.LastOperationType switch { OperationTypes.Create => "provision", OperationTypes.Update => "update", _ => "deprovision" };
        FaultPoints.Reach($"{verb}.{step}");
    }

    /// <summary>
    /// Nothing answered (connection refused, host unreachable, or a timeout where the spec asks no clean-up): the request
    /// is sent again later instead of failing the operation, until the plan's maximum polling duration. After a crash the
    /// send is a re-send — the broker may have acted on the first one — and the platform's own brokers are not listening
    /// yet while the control plane starts; failing then left a database the broker finished making with no row owning it.
    /// </summary>
    private static bool Unanswered<T>(OsbResult<T> result) => result.Outcome == OsbOutcome.Failed && result.StatusCode is null && !result.OrphanMitigation;

    private static string? Truncate(string? text) => text is { Length: > 4000 } ? text[..4000] + "…" : text;

    private bool PollingExpired(ServiceOperationEntity row, ServicePlanEntity plan, out TimeSpan limit)
    {
        limit = plan.MaximumPollingDuration is int seconds and > 0 ? TimeSpan.FromSeconds(seconds) : DefaultMaximumPollingDuration;
        return time.GetUtcNow().UtcDateTime - row.LastOperationCreatedAt > limit;
    }

    // ---- instances ----

    private async Task StepInstanceAsync(RavioliDb db, string guid, CancellationToken ct)
    {
        var instance = await WithBroker(db.ServiceInstances).FirstOrDefaultAsync(i => i.Guid == guid, ct);
        if (instance?.Plan?.Offering?.Broker is not { } broker)
        {
            return;
        }
        var plan = instance.Plan;
        var offering = plan.Offering!;
        var endpoint = catalogs.Endpoint(broker);
        var call = Call(instance, instance);

        if (instance.LastOperationState != OperationStates.InProgress)
        {
            // Orphan mitigation after a failed create: delete whatever the broker may have made, until it says it is gone.
            var cleanup = await osb.DeprovisionAsync(endpoint, instance.Guid, offering.CatalogId, plan.CatalogId, call, ct);
            Reach(instance, "cleanup-answered");
            if ((cleanup.Outcome is OsbOutcome.Succeeded or OsbOutcome.Gone) && instance.LastOperationType == OperationTypes.Delete)
            {
                await CompleteInstanceAsync(db, instance, null, ct);
            }
            else if (cleanup.Outcome is OsbOutcome.Succeeded or OsbOutcome.Gone)
            {
                instance.OrphanMitigation = false;
                instance.LastOperationDescription = Truncate($"{instance.LastOperationDescription} (the platform asked the broker to clean up; it did)");
                Forget(guid);
            }
            else
            {
                RetryLater(guid);
            }
            return;
        }

        if (PollingExpired(instance, plan, out var limit) && instance.BrokerOperation is not null)
        {
            var what = instance.LastOperationType;
            Finish(instance, OperationStates.Failed, $"The broker did not finish the {what} within {limit.TotalSeconds:0} s (the plan's maximum polling duration).");
            instance.OrphanMitigation = what == OperationTypes.Create;
            return;
        }

        if (instance.BrokerOperation is null)
        {
            await SendInstanceRequestAsync(db, instance, plan, offering, endpoint, call, ct);
            return;
        }

        var kind = instance.LastOperationType switch
        {
            OperationTypes.Create => OsbOperationKind.Provision,
            OperationTypes.Update => OsbOperationKind.Update,
            _ => OsbOperationKind.Deprovision,
        };
        var poll = await osb.GetInstanceLastOperationAsync(endpoint, instance.Guid, offering.CatalogId, plan.CatalogId,
            instance.BrokerOperation.Length == 0 ? null : instance.BrokerOperation, kind, call, ct);
        await ApplyPollAsync(instance, poll, "instance", description => CompleteInstanceAsync(db, instance, description, ct), () => db.ServiceInstances.Remove(instance));
    }

    /// <summary>What a last_operation answer means for an instance or a binding; only success and removal differ.</summary>
    private async Task ApplyPollAsync(ServiceOperationEntity row, OsbResult<OsbLastOperation> poll, string what, Func<string?, Task> succeeded, Action remove)
    {
        if (poll.Outcome == OsbOutcome.Gone || poll.Outcome == OsbOutcome.Succeeded && poll.Value!.State != OperationStates.InProgress)
        {
            Reach(row, "polled");
        }
        else if (poll.Outcome == OsbOutcome.Succeeded)
        {
            Reach(row, "polling");
        }
        switch (poll.Outcome)
        {
            case OsbOutcome.Succeeded when poll.Value!.State == OperationStates.Succeeded:
                await succeeded(poll.Value.Description);
                break;
            case OsbOutcome.Succeeded when poll.Value!.State == OperationStates.Failed:
                Finish(row, OperationStates.Failed, poll.Value.Description ?? $"The broker reports that the {row.LastOperationType} failed.");
                row.OrphanMitigation = poll.OrphanMitigation;
                break;
            case OsbOutcome.Succeeded:
                Progress(row, poll.Value!.Description);
                PollLater(row.Guid, poll.RetryAfter);
                break;
            case OsbOutcome.Gone when row.LastOperationType == OperationTypes.Delete:
                remove();
                Forget(row.Guid);
                break;
            case OsbOutcome.Gone:
                Finish(row, OperationStates.Failed, $"The broker no longer knows this {what} (410 Gone while polling).");
                break;
            default:
                // The broker could not be asked this time: keep polling until the maximum polling duration.
                Progress(row, $"Waiting for the broker: {poll.Error?.Description}");
                PollLater(row.Guid, poll.RetryAfter);
                break;
        }
    }

    private async Task SendInstanceRequestAsync(
        RavioliDb db, ServiceInstanceEntity instance, ServicePlanEntity plan, ServiceOfferingEntity offering, BrokerEndpoint endpoint, OsbCallContext call, CancellationToken ct)
    {
        var pending = Pending(instance);
        switch (instance.LastOperationType)
        {
            case OperationTypes.Create:
            {
                var result = await osb.ProvisionAsync(endpoint, instance.Guid, new OsbProvisionRequest(
                    offering.CatalogId, plan.CatalogId, instance.Space!.OrganizationGuid, instance.SpaceGuid, pending.Parameters,
                    BrokerCatalogs.ParseObject(plan.MaintenanceInfo)), call, ct);
                if (result.Value?.DashboardUrl is { } dashboard)
                {
                    instance.DashboardUrl = dashboard;
                }
                await ApplySendResultAsync(db, instance, result.Outcome, result.Operation ?? result.Value?.Operation, result.Error, result.OrphanMitigation, Unanswered(result), result.RetryAfter, ct);
                break;
            }
            case OperationTypes.Update:
            {
                var target = pending.PlanGuid is null ? plan : await db.ServicePlans.FirstAsync(p => p.Guid == pending.PlanGuid, ct);
                var result = await osb.UpdateAsync(endpoint, instance.Guid, new OsbUpdateRequest(
                    offering.CatalogId, pending.PlanGuid is null ? null : target.CatalogId, pending.Parameters,
                    new OsbPreviousValues(offering.CatalogId, plan.CatalogId, instance.Space!.OrganizationGuid, instance.SpaceGuid), null), call, ct);
                if (result.Value?.DashboardUrl is { } dashboard)
                {
                    instance.DashboardUrl = dashboard;
                }
                await ApplySendResultAsync(db, instance, result.Outcome, result.Operation ?? result.Value?.Operation, result.Error, false, Unanswered(result), result.RetryAfter, ct);
                break;
            }
            default:
            {
                var result = await osb.DeprovisionAsync(endpoint, instance.Guid, offering.CatalogId, plan.CatalogId, call, ct);
                await ApplySendResultAsync(db, instance, result.Outcome, result.Operation ?? result.Value?.Operation, result.Error, result.OrphanMitigation, Unanswered(result), result.RetryAfter, ct);
                break;
            }
        }
    }

    private async Task ApplySendResultAsync(
        RavioliDb db, ServiceInstanceEntity instance, OsbOutcome outcome, string? operation, OsbError? error, bool orphanMitigation, bool unanswered, TimeSpan? retryAfter,
        CancellationToken ct)
    {
        Reach(instance, "broker-answered");
        switch (outcome)
        {
            case OsbOutcome.Failed when unanswered && !PollingExpired(instance, instance.Plan!, out _):
                Progress(instance, $"Waiting for the broker: {error?.Description}");
                RetryLater(instance.Guid);
                break;
            case OsbOutcome.Succeeded:
            case OsbOutcome.Gone when instance.LastOperationType == OperationTypes.Delete:
                await CompleteInstanceAsync(db, instance, null, ct);
                break;
            case OsbOutcome.InProgress:
                instance.BrokerOperation = operation ?? "";
                Progress(instance, null);
                PollLater(instance.Guid, retryAfter);
                break;
            default:
                Finish(instance, OperationStates.Failed, Describe(error, instance.LastOperationType));
                // After a provision: delete what may exist; after a deprovision: keep deleting until the broker confirms.
                // A broker that never answered may still have acted on a send from before a crash.
                instance.OrphanMitigation = orphanMitigation || unanswered && instance.LastOperationType != OperationTypes.Update;
                break;
        }
    }

    private async Task CompleteInstanceAsync(RavioliDb db, ServiceInstanceEntity instance, string? description, CancellationToken ct)
    {
        if (instance.LastOperationType == OperationTypes.Delete)
        {
            // Bindings the broker dropped with the instance go too (there are none unless a purge raced us).
            await db.ServiceBindings.Where(b => b.InstanceGuid == instance.Guid).ExecuteDeleteAsync(ct);
            db.ServiceInstances.Remove(instance);
            Forget(instance.Guid);
            return;
        }
        if (instance.LastOperationType == OperationTypes.Update && Pending(instance).PlanGuid is { } newPlan)
        {
            instance.PlanGuid = newPlan;
        }
        Finish(instance, OperationStates.Succeeded, description);
    }

    private static string Describe(OsbError? error, string operation)
    {
        var text = error?.Description ?? $"The broker refused the {operation}.";
        return error?.Code is { } code ? $"{code}: {text}" : text;
    }

    // ---- bindings ----

    private async Task StepBindingAsync(RavioliDb db, string guid, CancellationToken ct)
    {
        var binding = await db.ServiceBindings.FirstOrDefaultAsync(b => b.Guid == guid, ct);
        if (binding is null)
        {
            return;
        }
        var instance = await WithBroker(db.ServiceInstances).FirstOrDefaultAsync(i => i.Guid == binding.InstanceGuid, ct);
        if (instance?.Plan?.Offering?.Broker is not { } broker)
        {
            return;
        }
        var plan = instance.Plan;
        var offering = plan.Offering!;
        var endpoint = catalogs.Endpoint(broker);
        var call = Call(binding, instance);

        if (binding.LastOperationState != OperationStates.InProgress)
        {
            var cleanup = await osb.UnbindAsync(endpoint, instance.Guid, binding.Guid, offering.CatalogId, plan.CatalogId, call, ct);
            Reach(binding, "cleanup-answered");
            if ((cleanup.Outcome is OsbOutcome.Succeeded or OsbOutcome.Gone) && binding.LastOperationType == OperationTypes.Delete)
            {
                db.ServiceBindings.Remove(binding);
                Forget(guid);
            }
            else if (cleanup.Outcome is OsbOutcome.Succeeded or OsbOutcome.Gone)
            {
                binding.OrphanMitigation = false;
                binding.LastOperationDescription = Truncate($"{binding.LastOperationDescription} (the platform asked the broker to clean up; it did)");
                Forget(guid);
            }
            else
            {
                RetryLater(guid);
            }
            return;
        }

        if (PollingExpired(binding, plan, out var limit) && binding.BrokerOperation is not null)
        {
            var what = binding.LastOperationType;
            Finish(binding, OperationStates.Failed, $"The broker did not finish the {(what == OperationTypes.Create ? "bind" : "unbind")} within {limit.TotalSeconds:0} s (the plan's maximum polling duration).");
            binding.OrphanMitigation = what == OperationTypes.Create;
            return;
        }

        if (binding.BrokerOperation is null)
        {
            if (binding.LastOperationType == OperationTypes.Create)
            {
                var result = await osb.BindAsync(endpoint, instance.Guid, binding.Guid,
                    new OsbBindRequest(offering.CatalogId, plan.CatalogId, binding.AppGuid, Pending(binding).Parameters), call, ct);
                Reach(binding, "broker-answered");
                switch (result.Outcome)
                {
                    case OsbOutcome.Succeeded:
                        StoreCredentials(binding, result.Value);
                        Finish(binding, OperationStates.Succeeded, null);
                        break;
                    case OsbOutcome.InProgress:
                        binding.BrokerOperation = result.Operation ?? result.Value?.Operation ?? "";
                        Progress(binding, null);
                        PollLater(guid, result.RetryAfter);
                        break;
                    case OsbOutcome.Failed when Unanswered(result) && !PollingExpired(binding, plan, out _):
                        Progress(binding, $"Waiting for the broker: {result.Error?.Description}");
                        RetryLater(guid);
                        break;
                    default:
                        Finish(binding, OperationStates.Failed, Describe(result.Error, "bind"));
                        binding.OrphanMitigation = result.OrphanMitigation || Unanswered(result);
                        break;
                }
            }
            else
            {
                var result = await osb.UnbindAsync(endpoint, instance.Guid, binding.Guid, offering.CatalogId, plan.CatalogId, call, ct);
                Reach(binding, "broker-answered");
                switch (result.Outcome)
                {
                    case OsbOutcome.Succeeded or OsbOutcome.Gone:
                        db.ServiceBindings.Remove(binding);
                        Forget(guid);
                        break;
                    case OsbOutcome.InProgress:
                        binding.BrokerOperation = result.Operation ?? result.Value?.Operation ?? "";
                        Progress(binding, null);
                        PollLater(guid, result.RetryAfter);
                        break;
                    case OsbOutcome.Failed when Unanswered(result) && !PollingExpired(binding, plan, out _):
                        Progress(binding, $"Waiting for the broker: {result.Error?.Description}");
                        RetryLater(guid);
                        break;
                    default:
                        Finish(binding, OperationStates.Failed, Describe(result.Error, "unbind"));
                        // A 5xx to an unbind means the broker may be half-way, and one that never answered may have acted
                        // on a send from before a crash: keep unbinding until it says it is done.
                        binding.OrphanMitigation = result.OrphanMitigation || Unanswered(result);
                        break;
                }
            }
            return;
        }

        var poll = await osb.GetBindingLastOperationAsync(endpoint, instance.Guid, binding.Guid, offering.CatalogId, plan.CatalogId,
            binding.BrokerOperation.Length == 0 ? null : binding.BrokerOperation,
            binding.LastOperationType == OperationTypes.Create ? OsbOperationKind.Bind : OsbOperationKind.Unbind, call, ct);
        await ApplyPollAsync(binding, poll, "binding", async description =>
        {
            if (binding.LastOperationType == OperationTypes.Delete)
            {
                db.ServiceBindings.Remove(binding);
                Forget(guid);
                return;
            }
            // An asynchronous bind hands out its credentials through a fetch, once finished.
            var fetched = await osb.FetchBindingAsync(endpoint, instance.Guid, binding.Guid, offering.CatalogId, plan.CatalogId, call, ct);
            if (fetched.Outcome == OsbOutcome.Succeeded)
            {
                StoreCredentials(binding, fetched.Value);
                Finish(binding, OperationStates.Succeeded, description);
            }
            else
            {
                Finish(binding, OperationStates.Failed, $"The bind finished but its credentials could not be fetched: {fetched.Error?.Description}");
                binding.OrphanMitigation = true;
            }
        }, () => db.ServiceBindings.Remove(binding));
    }

    private void StoreCredentials(ServiceBindingEntity binding, OsbBindResponse? response)
    {
        binding.Credentials = secrets.Seal((response?.Credentials ?? []).ToJsonString());
        binding.SyslogDrainUrl = response?.SyslogDrainUrl;
        binding.VolumeMounts = response?.VolumeMounts?.ToJsonString();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Service operations paused: the database is unavailable ({Reason})")]
    private static partial void LogDatabaseUnavailable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "A pass over service operations failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
