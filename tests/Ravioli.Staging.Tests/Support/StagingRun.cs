using Ravioli.Staging.Buildpacks;
using Ravioli.Staging.Running;
using Xunit.Abstractions;

namespace Ravioli.Staging.Tests.Support;

/// <summary>Stages an app with the real process runner, keeping the staging log for assertions and for the test output.</summary>
internal sealed class StagingRun(ITestOutputHelper output)
{
    private readonly List<string> _log = [];
    private readonly Lock _lock = new();

    public IReadOnlyList<string> Log
    {
        get
        {
            lock (_lock)
            {
                return [.. _log];
            }
        }
    }

    public string LogText => string.Join('\n', Log);

    public Task<StagingResult> StageAsync(StagingRequest request, BuildpackRegistry? registry = null, CancellationToken cancellationToken = default) =>
        new Stager(registry ?? BuildpackRegistry.Default, new ProcessStagingRunner()).StageAsync(request, Append, cancellationToken);

    public void Append(string line)
    {
        lock (_lock)
        {
            _log.Add(line);
        }
        try
        {
            output.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // The test already finished (a late line from a killed process).
        }
    }
}
