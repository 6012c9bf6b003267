namespace Ravioli.Store;

/// <summary>
/// Rings when a write that can change what the nodes should run (apps, processes, routes and their mappings,
/// domains, tasks, bindings) has been committed, so a node watching the desired set hears of it at once instead
/// of at its next poll. Only a hint: a watcher rebuilds the set and compares, and still re-reads every second for
/// the writes that bypass the change tracker (ExecuteUpdate/ExecuteDelete). A spurious ring costs one rebuild.
/// </summary>
public sealed class DesiredStateSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next ring. Take it before reading the state, so a ring in between is not missed.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    public void Ring() =>
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
