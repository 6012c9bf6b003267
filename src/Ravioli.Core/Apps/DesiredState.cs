namespace Ravioli.Core.Apps;

public sealed record DesiredRoute(string Host, string Path);

/// <summary>One process the node must keep running: how many instances, of which generation, with what, behind which routes.</summary>
public sealed record DesiredProcess(
    string ProcessGuid, string AppGuid, string AppName, string SpaceGuid, string OrganizationGuid, string Type,
    int Instances, int Generation, RunSpec Run, IReadOnlyList<DesiredRoute> Routes);

/// <summary>A one-off task the node runs once: it ends SUCCEEDED or FAILED and is never restarted.</summary>
public sealed record DesiredTask(string TaskGuid, string AppGuid, string AppName, string SpaceGuid, string Name, RunSpec Run);

/// <summary>Everything the node should run, as the control plane's /internal/v1/desired serves it.</summary>
public sealed record DesiredState(string Etag, IReadOnlyList<DesiredProcess> Processes, IReadOnlyList<DesiredTask>? Tasks = null)
{
    public static readonly DesiredState Empty = new("", [], []);
}
