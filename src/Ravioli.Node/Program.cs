using Ravioli.Node;

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
