using System.Globalization;
using Ravioli.Brokers.Processes;

namespace Ravioli.Brokers.Hosting;

/// <summary>
/// &lt;data&gt;/services/&lt;name&gt;/: a server's home. The directory itself is root's and traversable (so the
/// server's account reaches its own subdirectory); generated ports and admin passwords live here in 0600 files.
/// </summary>
internal sealed class ServiceDirectory
{
    public ServiceDirectory(string dataDirectory, string name)
    {
        var services = Path.Combine(dataDirectory, "services");
        Files.AllowTraverse(dataDirectory);
        Files.EnsureTraversableDirectory(services);
        Root = Path.Combine(services, name);
        Directory.CreateDirectory(Root);
        File.SetUnixFileMode(Root, Files.PrivateDirectory | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
    }

    public string Root { get; }

    public string Sub(string name) => Path.Combine(Root, name);

    /// <summary>A port chosen once (free at the time) and kept, so credentials handed out stay valid.</summary>
    public int Port(string name, IReadOnlyCollection<int>? avoid = null)
    {
        var value = Files.ReadOrCreateSecret(Sub($"{name}.port"), () => Generate.FreePort(avoid).ToString(CultureInfo.InvariantCulture));
        return int.Parse(value, CultureInfo.InvariantCulture);
    }

    public string Password(string name) => Files.ReadOrCreateSecret(Sub($"{name}-password"), () => Generate.Password());
}
