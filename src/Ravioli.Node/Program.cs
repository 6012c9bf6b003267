using Ravioli.Node;

// Socket completions run on the runtime's epoll threads instead of being queued to the thread pool. The router
// (Kestrel set to inline scheduling, see RouterSetup) then reads a request, forwards it and writes the answer on
// the thread that saw the socket ready, as nginx does: about 1 thread switch per request instead of 4-12 and a
// third less CPU (bench/README.md, Router). The runtime reads the variable once, before the first socket, so it
// is set here; apps never inherit it (their environment is built from scratch). Code after a socket await in this
// process must not block, which holds for the router and the node's API and HTTP clients (async throughout).
// RAVIOLI_NODE_INLINE_SOCKETS=0 turns it off.
if (Environment.GetEnvironmentVariable("RAVIOLI_NODE_INLINE_SOCKETS") != "0")
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}
Ravioli.Core.Security.DataDirectory.RestrictUmask();
await using var node = NodeHost.Build(args);
var stopped = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stopped.TrySetResult();
};
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
{
    c.Cancel = true;
    stopped.TrySetResult();
});
await node.StartAsync();
var pidFile = Path.Combine(node.Options.DataDirectory, "node.pid");
await File.WriteAllTextAsync(pidFile, Environment.ProcessId + "\n");
Console.WriteLine($"Ravioli node is up: router {node.RouterAddress.ToString().TrimEnd('/')}, internal API {node.ApiAddress.ToString().TrimEnd('/')}.");
await stopped.Task;

// './ravioli down' leaves this marker: stop the apps too. Any other stop (a restart, a crash) leaves them
// running for the next node to adopt.
var marker = Path.Combine(node.Options.StateDirectory, "stop-instances");
if (File.Exists(marker))
{
    Console.WriteLine("Stopping app instances...");
    await node.StopAppsAsync().WaitAsync(TimeSpan.FromMinutes(2));
    File.Delete(marker);
}
File.Delete(pidFile);
