using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ravioli.Core.Apps;
using Ravioli.Node.Desired;
using Ravioli.Node.Droplets;
using Ravioli.Router.Configuration;
using Ravioli.Router.Routing;
using Ravioli.Runtime.Local;
using HealthCheckSpec = Ravioli.Runtime.Local.HealthCheckSpec;
using Route = Ravioli.Router.Configuration.Route;

namespace Ravioli.Node.Reconciling;

/// <summary>
/// Turns the desired set into instance specs for the executor and backends for the router. Level-triggered
/// and idempotent: every pass starts from what is desired and what runs, so it is safe to run at any time,
/// any number of times, and after a crash at any line.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The gate lives as long as the node; a SemaphoreSlim whose wait handle is never requested holds nothing to dispose.")]
public sealed partial class NodeReconciler(
    DesiredStateSource desired, DropletCache droplets, LocalExecutor executor, RouteTableStore routes,
    IOptions<NodeOptions> options, TimeProvider time, ILogger<NodeReconciler> logger)
{
    // One pass at a time.
    private readonly SemaphoreSlim _gate = new(1, 1);

    // Specs applied last pass, so instances of an older generation can be kept while their replacement starts.
    private Dictionary<string, InstanceSpec> _applied = [];

    // Instances out of the route table, waiting for requests in flight to finish before they are stopped.
    private readonly Dictionary<string, (InstanceSpec Spec, DateTimeOffset StopAt)> _draining = [];
    private string _routeSignature = "";
    private string _appliedSignature = "";

    public async Task ReconcileAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await PassAsync(ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task PassAsync(CancellationToken ct)
    {
        var state = desired.Current;
        var now = time.GetUtcNow();
        var observed = executor.Snapshot().ToDictionary(s => s.InstanceGuid, StringComparer.Ordinal);
        var keep = new Dictionary<string, InstanceSpec>(StringComparer.Ordinal);
        var routable = new HashSet<string>(StringComparer.Ordinal);
        var leaving = new List<InstanceSpec>();

        foreach (var process in state.Processes)
        {
            string dropletPath;
            try
            {
                dropletPath = await droplets.GetAsync(process.Run.DropletSha256, ct);
            }
            catch (Exception e) when (e is HttpRequestException or InvalidDataException or IOException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                // Keep what runs for this process; try the download again next pass.
                LogDropletUnavailable(logger, process.AppName, process.Run.DropletSha256, e.Message);
                foreach (var (guid, spec) in _applied.Where(a => InstanceName.TryParse(a.Key)?.ProcessGuid == process.ProcessGuid))
                {
                    keep[guid] = spec;
                    if (observed.TryGetValue(guid, out var s) && s.State == InstanceStates.Running)
                    {
                        routable.Add(guid);
                    }
                }
                continue;
            }

            var mine = observed.Values
                .Select(s => (Status: s, Name: InstanceName.TryParse(s.InstanceGuid)))
                .Where(x => x.Name?.ProcessGuid == process.ProcessGuid)
                .ToList();
            var replacementInFlight = false;
            for (var index = 0; index < process.Instances; index++)
            {
                var name = new InstanceName(process.ProcessGuid, process.Generation, index).ToString();
                observed.TryGetValue(name, out var current);
                var olds = mine.Where(x => x.Name!.Index == index && x.Name.Generation != process.Generation).ToList();
                var running = current?.State == InstanceStates.Running;
                // A fresh index starts at once (first start, scale up); replacing a live older instance goes one at a time.
                if (current is not null || olds.Count == 0 || !replacementInFlight)
                {
                    keep[name] = Spec(process, index, name, dropletPath);
                    if (!running && olds.Count > 0)
                    {
                        replacementInFlight = true;
                    }
                }
                if (running)
                {
                    routable.Add(name);
                }
                foreach (var old in olds)
                {
                    var guid = old.Status.InstanceGuid;
                    if (!running && _applied.TryGetValue(guid, out var oldSpec))
                    {
                        keep[guid] = oldSpec;
                        if (old.Status.State == InstanceStates.Running)
                        {
                            routable.Add(guid);
                        }
                    }
                    else if (_applied.TryGetValue(guid, out var replaced))
                    {
                        leaving.Add(replaced);
                    }
                }
            }
        }

        // Tasks run once; they stay in the set while the control plane still counts them as running.
        foreach (var task in state.Tasks ?? [])
        {
            try
            {
                var dropletPath = await droplets.GetAsync(task.Run.DropletSha256, ct);
                var name = TaskPrefix + task.TaskGuid;
                keep[name] = TaskSpec(task, name, dropletPath);
            }
            catch (Exception e) when (e is HttpRequestException or InvalidDataException or IOException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                LogDropletUnavailable(logger, task.AppName, task.Run.DropletSha256, e.Message);
            }
        }

        // Everything that ran last pass and is no longer kept leaves the route table now and stops after the drain time.
        foreach (var (guid, spec) in _applied)
        {
            if (!keep.ContainsKey(guid) && !_draining.ContainsKey(guid))
            {
                _draining[guid] = (spec, now + options.Value.DrainTime);
            }
        }
        foreach (var spec in leaving)
        {
            _draining.TryAdd(spec.InstanceGuid, (spec, now + options.Value.DrainTime));
        }
        foreach (var (guid, (spec, stopAt)) in _draining.ToList())
        {
            if (keep.ContainsKey(guid))
            {
                _draining.Remove(guid);
            }
            else if (stopAt > now && observed.ContainsKey(guid))
            {
                keep[guid] = spec;
                routable.Remove(guid);
            }
            else
            {
                _draining.Remove(guid);
            }
        }

        UpdateRoutes(state, observed, routable);
        var specs = keep.Values.OrderBy(s => s.InstanceGuid, StringComparer.Ordinal).ToList();
        // Within a generation a spec cannot change (the run spec is frozen), so the names say it all; the
        // executor persists every apply, so unchanged sets are not sent again.
        var signature = string.Join(',', specs.Select(s => s.InstanceGuid));
        if (signature != _appliedSignature)
        {
            await executor.ApplyAsync(specs, ct);
            _appliedSignature = signature;
            // Droplets fall out of use only when the set changes, so the cache is swept then, not every pass.
            droplets.Prune(state.Processes.Select(p => p.Run.DropletSha256).Concat(keep.Values.Select(s => Path.GetFileNameWithoutExtension(s.DropletPath))).ToHashSet(StringComparer.Ordinal));
        }
        _applied = keep;
    }

    private void UpdateRoutes(DesiredState state, Dictionary<string, InstanceStatus> observed, HashSet<string> routable)
    {
        var table = new List<Route>();
        foreach (var process in state.Processes)
        {
            var backends = observed.Values
                .Where(s => routable.Contains(s.InstanceGuid) && s.State == InstanceStates.Running && s.Port is not null
                    && InstanceName.TryParse(s.InstanceGuid)?.ProcessGuid == process.ProcessGuid)
                .OrderBy(s => s.Index)
                .Select(s => new Backend(s.InstanceGuid, s.Index, s.Address))
                .ToList();
            foreach (var route in process.Routes)
            {
                table.Add(new Route(route.Host.ToLowerInvariant(), route.Path, process.AppGuid, process.AppName, process.Type, backends));
            }
        }
        var signature = string.Join('\n', table.Select(r => $"{r.Host}{r.Path} {r.AppGuid} {string.Join(',', r.Backends.Select(b => b.Address))}"));
        if (signature != _routeSignature)
        {
            routes.Update(new RouteTable(table));
            _routeSignature = signature;
        }
    }

    public const string TaskPrefix = "task-";

    private static InstanceSpec TaskSpec(DesiredTask task, string name, string dropletPath)
    {
        var env = new Dictionary<string, string>(task.Run.Environment, StringComparer.Ordinal)
        {
            ["CF_INSTANCE_INDEX"] = "0",
            ["CF_INSTANCE_GUID"] = name,
            ["HOME"] = "/app",
            ["TMPDIR"] = "/tmp",
        };
        env.TryAdd("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.TryAdd("LANG", "C.UTF-8");
        return new InstanceSpec(name, task.AppGuid, task.AppName, task.SpaceGuid, "task", 0, dropletPath, task.Run.Command, env,
            task.Run.MemoryMb, task.Run.DiskMb, new HealthCheckSpec(Core.Apps.HealthCheckTypes.Process)) { RunOnce = true };
    }

    private static InstanceSpec Spec(DesiredProcess process, int index, string name, string dropletPath)
    {
        var run = process.Run;
        var env = new Dictionary<string, string>(run.Environment, StringComparer.Ordinal)
        {
            ["CF_INSTANCE_INDEX"] = index.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["INSTANCE_INDEX"] = index.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CF_INSTANCE_GUID"] = name,
            ["HOME"] = "/app",
            ["TMPDIR"] = "/tmp",
        };
        env.TryAdd("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.TryAdd("LANG", "C.UTF-8");
        if (env.TryGetValue("VCAP_APPLICATION", out var vcap) && JsonNode.Parse(vcap) is JsonObject application)
        {
            application["instance_index"] = index;
            application["instance_id"] = name;
            env["VCAP_APPLICATION"] = application.ToJsonString();
        }
        return new InstanceSpec(
            name, process.AppGuid, process.AppName, process.SpaceGuid, process.Type, index, dropletPath, run.Command, env,
            run.MemoryMb, run.DiskMb,
            new HealthCheckSpec(run.HealthCheckType, run.HealthCheckEndpoint, TimeSpan.FromSeconds(run.InvocationTimeoutSeconds)),
            TimeSpan.FromSeconds(run.StartTimeoutSeconds));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Droplet {Sha256} of app {App} is not available yet ({Reason}); retrying")]
    private static partial void LogDropletUnavailable(ILogger logger, string app, string sha256, string reason);
}
