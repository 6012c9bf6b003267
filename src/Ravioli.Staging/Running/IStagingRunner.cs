namespace Ravioli.Staging.Running;

/// <summary>Runs the commands of a staging (build tools, buildpack scripts); the platform swaps in a sandboxed runner.</summary>
public interface IStagingRunner
{
    /// <summary>
    /// Runs <paramref name="command"/> to completion and returns its exit code, passing each line of its
    /// standard output and standard error to <paramref name="onOutputLine"/> as it is written.
    /// A command that cannot be started returns 127 (not found) or 126 (not executable), as a shell would.
    /// On cancellation the command and everything it started are killed and an
    /// <see cref="OperationCanceledException"/> is thrown.
    /// </summary>
    Task<int> RunAsync(StagingCommand command, Action<string> onOutputLine, CancellationToken cancellationToken);
}
