using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Ravioli.Core.Faults;
using Ravioli.Brokers.Processes;
using Ravioli.Brokers.State;

namespace Ravioli.Brokers.Engine;

/// <summary>
/// The OSB semantics shared by every built-in broker: instance and binding life cycles, idempotent re-sends, conflicts,
/// asynchronous operations with last_operation, concurrency errors, and recovery after a restart. What a service
/// actually does lives in its <see cref="IBrokerBackend"/>.
/// </summary>
internal sealed class BrokerEngine : IAsyncDisposable
{
    /// <summary>How often a resumed operation may be interrupted by restarts before it is declared failed.</summary>
    private const int MaxResumes = 3;

    private static readonly TimeSpan OperationTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    private readonly IBrokerBackend _backend;
    private readonly StateStore _store;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);
    private BrokerStateDocument _doc = new();

    public BrokerEngine(IBrokerBackend backend, StateStore store, ILogger logger)
    {
        _backend = backend;
        _store = store;
        _logger = logger;
    }

    public string Name => _backend.Name;

    public IBrokerBackend Backend => _backend;

    public JsonObject Catalog() => new() { ["services"] = new JsonArray(_backend.Service.ToJson()) };

    /// <summary>Loads the state, starts the backend, settles what a crash left half done, and re-adopts dedicated servers.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        _doc = _store.Load();
        await _backend.StartAsync(ct);

        await _lock.WaitAsync(ct);
        try
        {
            foreach (var (key, binding) in _doc.Bindings.Where(b => b.Value.State != BindingState.Ready).ToList())
            {
                // The platform never got credentials for a binding caught mid-create, and asked for a mid-delete one to go.
                if (_doc.Instances.TryGetValue(binding.InstanceId, out var owner))
                {
                    try
                    {
                        await _backend.UnbindAsync(owner.Clone(), binding.Clone(), ct);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        Log.RecoveryFailed(_logger, Name, binding.InstanceId, Describe(ex));
                        continue;
                    }
                }
                _doc.Bindings.Remove(key);
            }

            foreach (var instance in _doc.Instances.Values.ToList())
            {
                var op = instance.LastOperation;
                if (op is { State: OperationState.InProgress })
                {
                    if (op.Resumes >= MaxResumes)
                    {
                        Finish(instance, op, OperationState.Failed, $"{op.Kind} was interrupted by {op.Resumes + 1} broker restarts and was given up");
                        continue;
                    }
                    op.Resumes++;
                    Log.OperationResumed(_logger, Name, instance.Id, op.Kind.ToString());
                    StartBackground(instance.Id, op);
                }
                else if (instance.State == InstanceState.Ready)
                {
                    try
                    {
                        var copy = instance.Clone();
                        await _backend.RecoverAsync(copy, ct);
                        CopyBack(copy, instance);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        Log.RecoveryFailed(_logger, Name, instance.Id, Describe(ex));
                    }
                }
            }
            _store.Save(_doc);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Reads the persisted state without starting anything (for stopping servers from a fresh process).</summary>
    public void LoadOnly() => _doc = _store.Load();

    /// <summary>Stops the servers of this broker's instances and its shared server (they are re-adopted or restarted on the next start).</summary>
    public async Task StopServersAsync(CancellationToken ct)
    {
        List<InstanceRecord> instances;
        await _lock.WaitAsync(ct);
        try
        {
            instances = [.. _doc.Instances.Values.Select(i => i.Clone())];
        }
        finally
        {
            _lock.Release();
        }
        await _backend.StopServersAsync(instances, ct);
    }

    // ---- instances -------------------------------------------------------------------------------------------

    public async Task<OsbResponse> ProvisionAsync(string instanceId, JsonObject body, bool acceptsIncomplete, CancellationToken ct)
    {
        var serviceId = Required(body, "service_id");
        var planId = Required(body, "plan_id");
        var plan = ResolvePlan(serviceId, planId);
        var org = Optional(body, "organization_guid");
        var space = Optional(body, "space_guid");
        var context = OptionalObject(body, "context");
        var parameters = OptionalObject(body, "parameters");
        if (plan.ValidateParameters(parameters) is { } invalid)
        {
            return OsbResponse.BadRequest(invalid);
        }

        OperationRecord op;
        await _lock.WaitAsync(ct);
        try
        {
            if (_doc.Instances.TryGetValue(instanceId, out var existing) && existing.State != InstanceState.ProvisionFailed)
            {
                var identical = existing.ServiceId == serviceId && existing.PlanId == planId
                    && existing.OrganizationGuid == org && existing.SpaceGuid == space
                    && SameObject(existing.Parameters, parameters);
                if (!identical)
                {
                    return OsbResponse.Conflict($"service instance {instanceId} already exists with different attributes");
                }
                // A provision still running is answered 202 with its operation even for a synchronous plan: after a crash
                // the restarted broker resumes it in the background, and the platform's re-send must poll it, not fail
                // with 422 while the database is being made (that left a database nobody owned).
                return existing.State switch
                {
                    InstanceState.Ready => OsbResponse.Ok(),
                    InstanceState.Provisioning when acceptsIncomplete && existing.LastOperation is { } running
                        => OsbResponse.Accepted(running.Id),
                    _ => OsbResponse.Concurrency($"another operation ({existing.LastOperation?.Kind.ToString() ?? existing.State.ToString()}) on service instance {instanceId} is in progress"),
                };
            }
            if (plan.AsyncProvision && !acceptsIncomplete)
            {
                return OsbResponse.AsyncRequired($"plan '{plan.Name}' is provisioned asynchronously: this request requires accepts_incomplete=true");
            }

            op = new OperationRecord { Id = NewOperationId("provision"), Kind = OperationKind.Provision };
            var instance = new InstanceRecord
            {
                Id = instanceId,
                ServiceId = serviceId,
                PlanId = planId,
                OrganizationGuid = org,
                SpaceGuid = space,
                Context = context,
                Parameters = parameters,
                State = InstanceState.Provisioning,
                LastOperation = op,
            };
            _doc.Instances[instanceId] = instance;
            _doc.DeletedInstances.Remove(instanceId);
            _store.Save(_doc);
            Log.OperationStarted(_logger, Name, instanceId, "provision", plan.Name);
        }
        finally
        {
            _lock.Release();
        }

        if (plan.AsyncProvision)
        {
            StartBackground(instanceId, op);
            return OsbResponse.Accepted(op.Id);
        }
        var failure = await ExecuteAsync(instanceId, op, ct);
        return failure is null
            ? OsbResponse.Created()
            : OsbResponse.Error(500, $"provisioning failed: {failure}");
    }

    public async Task<OsbResponse> FetchInstanceAsync(string instanceId, CancellationToken ct)
    {
        await _lock.WaitAsync(ct);
        try
        {
            if (!_doc.Instances.TryGetValue(instanceId, out var instance)
                || instance.State is InstanceState.Provisioning or InstanceState.ProvisionFailed)
            {
                return OsbResponse.NotFound($"service instance {instanceId} does not exist or is still being provisioned");
            }
            if (instance.State == InstanceState.Updating)
            {
                return OsbResponse.Concurrency($"service instance {instanceId} is being updated");
            }
            return OsbResponse.Ok(new JsonObject
            {
                ["service_id"] = instance.ServiceId,
                ["plan_id"] = instance.PlanId,
                ["parameters"] = instance.Parameters?.DeepClone() ?? new JsonObject(),
            });
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<OsbResponse> UpdateAsync(string instanceId, JsonObject body, bool acceptsIncomplete, CancellationToken ct)
    {
        _ = acceptsIncomplete; // every update here completes synchronously, which OSB allows whatever the flag says
        var serviceId = Required(body, "service_id");
        var planId = Optional(body, "plan_id");
        var parameters = OptionalObject(body, "parameters");
        var context = OptionalObject(body, "context");
        if (!string.Equals(serviceId, _backend.Service.Id, StringComparison.Ordinal))
        {
            return OsbResponse.BadRequest($"unknown service_id '{serviceId}'");
        }

        OperationRecord op;
        await _lock.WaitAsync(ct);
        try
        {
            if (!_doc.Instances.TryGetValue(instanceId, out var instance) || instance.State == InstanceState.ProvisionFailed)
            {
                return OsbResponse.NotFound($"service instance {instanceId} does not exist");
            }
            if (instance.State != InstanceState.Ready)
            {
                return OsbResponse.Concurrency($"another operation ({instance.State}) on service instance {instanceId} is in progress");
            }
            var current = _backend.Service.FindPlan(instance.PlanId)
                ?? throw new InvalidOperationException($"instance {instanceId} has a plan this broker no longer offers");
            var target = current;
            if (planId is not null && planId != instance.PlanId)
            {
                target = _backend.Service.FindPlan(planId)
                    ?? throw new OsbRequestException(OsbResponse.BadRequest($"unknown plan_id '{planId}' for service '{_backend.Service.Name}'"));
                var refusal = current.UpdatableTo.Contains(target.Id, StringComparer.Ordinal)
                    ? _backend.RefusePlanChange(current, target)
                    : $"changing plan '{current.Name}' to '{target.Name}' is not supported by this broker";
                if (refusal is not null)
                {
                    return OsbResponse.Error(422, refusal, instanceUsable: true, updateRepeatable: false);
                }
            }
            if (target.ValidateParameters(parameters) is { } invalid)
            {
                return OsbResponse.BadRequest(invalid);
            }
            if (context is not null)
            {
                instance.Context = context;
            }
            var merged = instance.Parameters?.DeepClone().AsObject() ?? [];
            foreach (var (key, value) in parameters ?? [])
            {
                merged[key] = value?.DeepClone();
            }
            if (target == current && SameObject(merged, instance.Parameters))
            {
                _store.Save(_doc);
                return OsbResponse.Ok();
            }
            op = new OperationRecord
            {
                Id = NewOperationId("update"),
                Kind = OperationKind.Update,
                TargetPlanId = target.Id,
                TargetParameters = merged,
            };
            instance.State = InstanceState.Updating;
            instance.LastOperation = op;
            _store.Save(_doc);
            Log.OperationStarted(_logger, Name, instanceId, "update", target.Name);
        }
        finally
        {
            _lock.Release();
        }

        var failure = await ExecuteAsync(instanceId, op, ct);
        return failure is null
            ? OsbResponse.Ok()
            : OsbResponse.Error(500, $"update failed: {failure}", instanceUsable: true, updateRepeatable: true);
    }

    public async Task<OsbResponse> DeprovisionAsync(string instanceId, string? serviceId, string? planId, bool acceptsIncomplete, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(serviceId) || string.IsNullOrEmpty(planId))
        {
            return OsbResponse.BadRequest("the query parameters service_id and plan_id are required");
        }
        OperationRecord op;
        PlanDefinition plan;
        await _lock.WaitAsync(ct);
        try
        {
            if (!_doc.Instances.TryGetValue(instanceId, out var instance))
            {
                return OsbResponse.Gone();
            }
            if (serviceId != instance.ServiceId || planId != instance.PlanId)
            {
                return OsbResponse.BadRequest($"service_id and plan_id do not match service instance {instanceId}");
            }
            plan = _backend.Service.FindPlan(instance.PlanId)
                ?? throw new InvalidOperationException($"instance {instanceId} has a plan this broker no longer offers");
            if (instance.State == InstanceState.Deprovisioning && instance.LastOperation is { } running)
            {
                // As for provision: a deprovision resumed after a crash is polled by the platform's re-send.
                return acceptsIncomplete
                    ? OsbResponse.Accepted(running.Id)
                    : OsbResponse.Concurrency($"service instance {instanceId} is already being deprovisioned");
            }
            if (instance.State is InstanceState.Provisioning or InstanceState.Updating)
            {
                return OsbResponse.Concurrency($"another operation ({instance.LastOperation?.Kind}) on service instance {instanceId} is in progress");
            }
            if (_doc.Bindings.Values.Any(b => b.InstanceId == instanceId && b.State != BindingState.Ready))
            {
                return OsbResponse.Concurrency($"a binding of service instance {instanceId} is being created or deleted");
            }
            if (plan.AsyncDeprovision && !acceptsIncomplete)
            {
                return OsbResponse.AsyncRequired($"plan '{plan.Name}' is deprovisioned asynchronously: this request requires accepts_incomplete=true");
            }
            op = new OperationRecord { Id = NewOperationId("deprovision"), Kind = OperationKind.Deprovision };
            instance.State = InstanceState.Deprovisioning;
            instance.LastOperation = op;
            _store.Save(_doc);
            Log.OperationStarted(_logger, Name, instanceId, "deprovision", plan.Name);
        }
        finally
        {
            _lock.Release();
        }

        if (plan.AsyncDeprovision)
        {
            StartBackground(instanceId, op);
            return OsbResponse.Accepted(op.Id);
        }
        var failure = await ExecuteAsync(instanceId, op, ct);
        return failure is null
            ? OsbResponse.Ok()
            : OsbResponse.Error(500, $"deprovisioning failed: {failure}", instanceUsable: false);
    }

    public async Task<OsbResponse> LastOperationAsync(string instanceId, string? operation, CancellationToken ct)
    {
        await _lock.WaitAsync(ct);
        try
        {
            if (!_doc.Instances.TryGetValue(instanceId, out var instance))
            {
                var deleted = _doc.DeletedInstances.ContainsKey(instanceId)
                    || (operation?.StartsWith("deprovision-", StringComparison.Ordinal) ?? false);
                return deleted ? OsbResponse.Gone() : OsbResponse.NotFound($"service instance {instanceId} does not exist");
            }
            var op = instance.LastOperation;
            if (op is null)
            {
                return OsbResponse.Ok(new JsonObject { ["state"] = "succeeded" });
            }
            var body = new JsonObject { ["state"] = StateName(op.State) };
            if (!string.IsNullOrEmpty(op.Description))
            {
                body["description"] = op.Description;
            }
            if (op.State == OperationState.Failed && op.Kind is OperationKind.Update or OperationKind.Deprovision)
            {
                body["instance_usable"] = op.Kind == OperationKind.Update;
            }
            if (op.State == OperationState.Failed && op.Kind == OperationKind.Update)
            {
                body["update_repeatable"] = true;
            }
            return new OsbResponse(200, body, op.State == OperationState.InProgress ? RetryAfter : null);
        }
        finally
        {
            _lock.Release();
        }
    }

    // ---- bindings --------------------------------------------------------------------------------------------

    public async Task<OsbResponse> BindAsync(string instanceId, string bindingId, JsonObject body, CancellationToken ct)
    {
        var serviceId = Required(body, "service_id");
        var planId = Required(body, "plan_id");
        var plan = ResolvePlan(serviceId, planId);
        var appGuid = Optional(body, "app_guid");
        var bindResource = OptionalObject(body, "bind_resource");
        var parameters = OptionalObject(body, "parameters");
        if (parameters is { Count: > 0 })
        {
            var key = parameters.First().Key;
            return OsbResponse.BadRequest($"unknown parameter '{key}': bindings of plan '{plan.Name}' accept no parameters");
        }

        var key2 = BrokerStateDocument.BindingKey(instanceId, bindingId);
        InstanceRecord instanceCopy;
        BindingRecord binding;
        await _lock.WaitAsync(ct);
        try
        {
            if (!_doc.Instances.TryGetValue(instanceId, out var instance) || instance.State == InstanceState.ProvisionFailed)
            {
                return OsbResponse.NotFound($"service instance {instanceId} does not exist");
            }
            if (instance.ServiceId != serviceId || instance.PlanId != planId)
            {
                return OsbResponse.BadRequest($"service_id and plan_id do not match service instance {instanceId}");
            }
            if (_doc.Bindings.TryGetValue(key2, out var existing))
            {
                var identical = existing.ServiceId == serviceId && existing.PlanId == planId && existing.AppGuid == appGuid
                    && SameObject(existing.BindResource, bindResource) && SameObject(existing.Parameters, parameters);
                if (!identical)
                {
                    return OsbResponse.Conflict($"service binding {bindingId} already exists with different attributes");
                }
                return existing.State == BindingState.Ready
                    ? OsbResponse.Ok(BindingBody(existing))
                    : OsbResponse.Concurrency($"service binding {bindingId} is being created or deleted");
            }
            if (instance.State != InstanceState.Ready)
            {
                return OsbResponse.Concurrency($"service instance {instanceId} is busy ({instance.State}); bind again when its operation has finished");
            }
            binding = new BindingRecord
            {
                Id = bindingId,
                InstanceId = instanceId,
                ServiceId = serviceId,
                PlanId = planId,
                AppGuid = appGuid,
                BindResource = bindResource,
                Parameters = parameters,
                State = BindingState.Creating,
                Secrets = new(StringComparer.Ordinal) { ["password"] = Generate.Password() },
            };
            _doc.Bindings[key2] = binding;
            _store.Save(_doc);
            instanceCopy = instance.Clone();
            binding = binding.Clone();
        }
        finally
        {
            _lock.Release();
        }

        try
        {
            var credentials = await _backend.BindAsync(instanceCopy, binding, ct);
            // The role exists but the state still says "creating": a crash here must not leave it behind.
            FaultPoints.Reach("broker.bind.done");
            await _lock.WaitAsync(CancellationToken.None);
            try
            {
                var stored = _doc.Bindings[key2];
                stored.Credentials = credentials;
                foreach (var (k, v) in binding.Details)
                {
                    stored.Details[k] = v;
                }
                stored.State = BindingState.Ready;
                _store.Save(_doc);
                Log.Bound(_logger, Name, instanceId, bindingId);
                return OsbResponse.Created(BindingBody(stored));
            }
            finally
            {
                _lock.Release();
            }
        }
        catch (Exception ex)
        {
            Log.OperationFailed(_logger, Name, instanceId, "bind", Describe(ex));
            try
            {
                await _backend.UnbindAsync(instanceCopy, binding, CancellationToken.None);
            }
            catch (Exception cleanup) when (cleanup is not OperationCanceledException)
            {
                Log.OperationFailed(_logger, Name, instanceId, "bind cleanup", Describe(cleanup));
            }
            await _lock.WaitAsync(CancellationToken.None);
            try
            {
                _doc.Bindings.Remove(key2);
                _store.Save(_doc);
            }
            finally
            {
                _lock.Release();
            }
            if (ex is OperationCanceledException)
            {
                throw;
            }
            return OsbResponse.Error(500, $"binding failed: {Describe(ex)}");
        }
    }

    public async Task<OsbResponse> FetchBindingAsync(string instanceId, string bindingId, CancellationToken ct)
    {
        await _lock.WaitAsync(ct);
        try
        {
            if (!_doc.Bindings.TryGetValue(BrokerStateDocument.BindingKey(instanceId, bindingId), out var binding)
                || binding.State == BindingState.Creating)
            {
                return OsbResponse.NotFound($"service binding {bindingId} does not exist");
            }
            return OsbResponse.Ok(BindingBody(binding));
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task<OsbResponse> UnbindAsync(string instanceId, string bindingId, string? serviceId, string? planId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(serviceId) || string.IsNullOrEmpty(planId))
        {
            return OsbResponse.BadRequest("the query parameters service_id and plan_id are required");
        }
        var key = BrokerStateDocument.BindingKey(instanceId, bindingId);
        InstanceRecord instanceCopy;
        BindingRecord bindingCopy;
        await _lock.WaitAsync(ct);
        try
        {
            if (!_doc.Instances.TryGetValue(instanceId, out var instance) || !_doc.Bindings.TryGetValue(key, out var binding))
            {
                return OsbResponse.Gone();
            }
            // The platform names the instance's current plan, which an update may have changed since the bind.
            if (serviceId != binding.ServiceId || (planId != binding.PlanId && planId != instance.PlanId))
            {
                return OsbResponse.BadRequest($"service_id and plan_id do not match service binding {bindingId}");
            }
            if (binding.State != BindingState.Ready)
            {
                return OsbResponse.Concurrency($"service binding {bindingId} is being created or deleted");
            }
            if (instance.State is InstanceState.Deprovisioning)
            {
                return OsbResponse.Concurrency($"service instance {instanceId} is being deprovisioned");
            }
            binding.State = BindingState.Deleting;
            _store.Save(_doc);
            instanceCopy = instance.Clone();
            bindingCopy = binding.Clone();
        }
        finally
        {
            _lock.Release();
        }

        try
        {
            await _backend.UnbindAsync(instanceCopy, bindingCopy, ct);
            FaultPoints.Reach("broker.unbind.done");
        }
        catch (Exception ex)
        {
            await _lock.WaitAsync(CancellationToken.None);
            try
            {
                _doc.Bindings[key].State = BindingState.Ready;
                _store.Save(_doc);
            }
            finally
            {
                _lock.Release();
            }
            if (ex is OperationCanceledException)
            {
                throw;
            }
            Log.OperationFailed(_logger, Name, instanceId, "unbind", Describe(ex));
            return OsbResponse.Error(500, $"unbinding failed: {Describe(ex)}");
        }

        await _lock.WaitAsync(CancellationToken.None);
        try
        {
            _doc.Bindings.Remove(key);
            _store.Save(_doc);
        }
        finally
        {
            _lock.Release();
        }
        Log.Unbound(_logger, Name, instanceId, bindingId);
        return OsbResponse.Ok();
    }

    public async Task<OsbResponse> BindingLastOperationAsync(string instanceId, string bindingId, string? operation, CancellationToken ct)
    {
        await _lock.WaitAsync(ct);
        try
        {
            if (!_doc.Bindings.TryGetValue(BrokerStateDocument.BindingKey(instanceId, bindingId), out var binding))
            {
                return operation?.StartsWith("unbind-", StringComparison.Ordinal) ?? false
                    ? OsbResponse.Gone()
                    : OsbResponse.NotFound($"service binding {bindingId} does not exist");
            }
            return binding.State == BindingState.Ready
                ? OsbResponse.Ok(new JsonObject { ["state"] = "succeeded" })
                : new OsbResponse(200, new JsonObject { ["state"] = "in progress" }, RetryAfter);
        }
        finally
        {
            _lock.Release();
        }
    }

    // ---- operations ------------------------------------------------------------------------------------------

    private void StartBackground(string instanceId, OperationRecord op)
    {
        _running[op.Id] = Task.Run(async () =>
        {
            try
            {
                await ExecuteAsync(instanceId, op, _stopping.Token);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                // Shutting down: the operation stays "in progress" on disk and the next start resumes it.
            }
            catch (Exception ex)
            {
                Log.OperationFailed(_logger, Name, instanceId, op.Kind.ToString(), Describe(ex));
            }
            finally
            {
                _running.TryRemove(op.Id, out _);
            }
        });
    }

    /// <summary>Runs one operation to its end and records the outcome; returns null on success, else the reason.</summary>
    private async Task<string?> ExecuteAsync(string instanceId, OperationRecord op, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(OperationTimeout);
        InstanceRecord work;
        List<BindingRecord> bindings;
        await _lock.WaitAsync(ct);
        try
        {
            work = _doc.Instances[instanceId].Clone();
            bindings = [.. _doc.Bindings.Values.Where(b => b.InstanceId == instanceId).Select(b => b.Clone())];
        }
        finally
        {
            _lock.Release();
        }

        async Task Checkpoint()
        {
            await _lock.WaitAsync(CancellationToken.None);
            try
            {
                if (_doc.Instances.TryGetValue(instanceId, out var live))
                {
                    CopyBack(work, live);
                    _store.Save(_doc);
                }
            }
            finally
            {
                _lock.Release();
            }
            FaultPoints.Reach("broker.checkpointed");
        }

        try
        {
            var plan = _backend.Service.FindPlan(work.PlanId)
                ?? throw new InvalidOperationException($"plan {work.PlanId} is no longer offered");
            switch (op.Kind)
            {
                case OperationKind.Provision:
                    await _backend.ProvisionAsync(work, plan, Checkpoint, timeout.Token);
                    break;
                case OperationKind.Update:
                    var target = _backend.Service.FindPlan(op.TargetPlanId) ?? plan;
                    await _backend.UpdateAsync(work, target, op.TargetParameters?.DeepClone().AsObject(), timeout.Token);
                    work.PlanId = target.Id;
                    work.Parameters = op.TargetParameters?.DeepClone().AsObject();
                    break;
                case OperationKind.Deprovision:
                    await _backend.DeprovisionAsync(work, bindings, timeout.Token);
                    break;
                default:
                    throw new InvalidOperationException($"unknown operation {op.Kind}");
            }
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            var reason = timeout.IsCancellationRequested ? $"timed out after {OperationTimeout.TotalMinutes:0} minutes" : Describe(ex);
            Log.OperationFailed(_logger, Name, instanceId, op.Kind.ToString(), reason);
            if (op.Kind == OperationKind.Provision)
            {
                // Leave no half-made server behind; the record stays (ProvisionFailed) so last_operation can say why.
                try
                {
                    await _backend.DeprovisionAsync(work, bindings, CancellationToken.None);
                }
                catch (Exception cleanup)
                {
                    Log.OperationFailed(_logger, Name, instanceId, "provision cleanup", Describe(cleanup));
                }
            }
            await _lock.WaitAsync(CancellationToken.None);
            try
            {
                if (_doc.Instances.TryGetValue(instanceId, out var live))
                {
                    CopyBack(work, live);
                    live.State = op.Kind switch
                    {
                        OperationKind.Provision => InstanceState.ProvisionFailed,
                        _ => InstanceState.Ready,
                    };
                    Finish(live, op, OperationState.Failed, $"{op.Kind} failed: {reason}");
                    _store.Save(_doc);
                }
            }
            finally
            {
                _lock.Release();
            }
            return reason;
        }

        // The backend did its work (a database made or dropped) but the state still says "in progress".
        FaultPoints.Reach(op.Kind switch
        {
            OperationKind.Provision => "broker.provision.done",
            OperationKind.Update => "broker.update.done",
            _ => "broker.deprovision.done",
        });
        await _lock.WaitAsync(CancellationToken.None);
        try
        {
            if (op.Kind == OperationKind.Deprovision)
            {
                _doc.Instances.Remove(instanceId);
                foreach (var key in _doc.Bindings.Where(b => b.Value.InstanceId == instanceId).Select(b => b.Key).ToList())
                {
                    _doc.Bindings.Remove(key);
                }
                _doc.DeletedInstances[instanceId] = DateTimeOffset.UtcNow;
                foreach (var old in _doc.DeletedInstances.OrderBy(d => d.Value).Take(Math.Max(0, _doc.DeletedInstances.Count - 1000)).ToList())
                {
                    _doc.DeletedInstances.Remove(old.Key);
                }
            }
            else if (_doc.Instances.TryGetValue(instanceId, out var live))
            {
                CopyBack(work, live);
                live.PlanId = work.PlanId;
                live.Parameters = work.Parameters;
                live.State = InstanceState.Ready;
                Finish(live, op, OperationState.Succeeded, null);
            }
            _store.Save(_doc);
            Log.OperationSucceeded(_logger, Name, instanceId, op.Kind.ToString());
        }
        finally
        {
            _lock.Release();
        }
        return null;
    }

    private static void Finish(InstanceRecord instance, OperationRecord op, OperationState state, string? description)
    {
        op.State = state;
        op.Description = description;
        op.FinishedAt = DateTimeOffset.UtcNow;
        instance.LastOperation = op;
        if (state == OperationState.Failed && instance.State == InstanceState.Provisioning)
        {
            instance.State = InstanceState.ProvisionFailed;
        }
    }

    private static void CopyBack(InstanceRecord from, InstanceRecord to)
    {
        foreach (var (k, v) in from.Details)
        {
            to.Details[k] = v;
        }
        foreach (var (k, v) in from.Secrets)
        {
            to.Secrets[k] = v;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await Task.WhenAll(_running.Values.ToArray()).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
        }
        _stopping.Dispose();
    }

    /// <summary>A copy of an instance's record, secrets included (tests and diagnostics).</summary>
    internal InstanceRecord? Snapshot(string instanceId)
    {
        _lock.Wait();
        try
        {
            return _doc.Instances.TryGetValue(instanceId, out var instance) ? instance.Clone() : null;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Waits until no background operation runs (tests).</summary>
    internal Task IdleAsync() => Task.WhenAll(_running.Values.ToArray());

    // ---- helpers ---------------------------------------------------------------------------------------------

    private PlanDefinition ResolvePlan(string serviceId, string planId)
    {
        if (!string.Equals(serviceId, _backend.Service.Id, StringComparison.Ordinal))
        {
            throw new OsbRequestException(OsbResponse.BadRequest($"unknown service_id '{serviceId}'; this broker offers '{_backend.Service.Id}' ({_backend.Service.Name})"));
        }
        return _backend.Service.FindPlan(planId)
            ?? throw new OsbRequestException(OsbResponse.BadRequest(
                $"unknown plan_id '{planId}'; service '{_backend.Service.Name}' has plans {string.Join(", ", _backend.Service.Plans.Select(p => $"{p.Name} ({p.Id})"))}"));
    }

    private static JsonObject BindingBody(BindingRecord binding) => new()
    {
        ["credentials"] = binding.Credentials?.DeepClone() ?? new JsonObject(),
        ["parameters"] = binding.Parameters?.DeepClone() ?? new JsonObject(),
    };

    private static string Required(JsonObject body, string field)
    {
        var value = Optional(body, field);
        return string.IsNullOrEmpty(value)
            ? throw new OsbRequestException(OsbResponse.BadRequest($"the field '{field}' is required and must be a non-empty string"))
            : value;
    }

    private static string? Optional(JsonObject body, string field)
    {
        if (!body.TryGetPropertyValue(field, out var node) || node is null)
        {
            return null;
        }
        if (node is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0)
        {
            return text;
        }
        throw new OsbRequestException(OsbResponse.BadRequest($"the field '{field}' must be a non-empty string"));
    }

    private static JsonObject? OptionalObject(JsonObject body, string field)
    {
        if (!body.TryGetPropertyValue(field, out var node) || node is null)
        {
            return null;
        }
        return node is JsonObject obj
            ? obj.DeepClone().AsObject()
            : throw new OsbRequestException(OsbResponse.BadRequest($"the field '{field}' must be an object"));
    }

    private static bool SameObject(JsonObject? a, JsonObject? b)
    {
        if ((a is null || a.Count == 0) && (b is null || b.Count == 0))
        {
            return true;
        }
        return JsonNode.DeepEquals(a, b);
    }

    private static string StateName(OperationState state) => state switch
    {
        OperationState.InProgress => "in progress",
        OperationState.Succeeded => "succeeded",
        _ => "failed",
    };

    private static string NewOperationId(string kind) => $"{kind}-{Guid.NewGuid():N}";

    internal static string Describe(Exception ex)
    {
        var message = ex.Message.ReplaceLineEndings(" ");
        return message.Length > 600 ? message[..600] + "…" : message;
    }
}
