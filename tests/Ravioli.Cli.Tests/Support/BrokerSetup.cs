using Ravioli.Testing;

namespace Ravioli.Cli.Tests.Support;

/// <summary>Puts a <see cref="TestBroker"/> on the platform the way an admin does.</summary>
internal static class BrokerSetup
{
    /// <summary>Registers the broker under a fresh name and, unless told otherwise, enables its plans for every org.</summary>
    public static async Task<string> RegisterAsync(Rav admin, TestBroker broker, bool enableAccess = true)
    {
        var name = Names.Unique("broker");
        await admin.OkAsync("create-service-broker", name, TestBroker.Username, TestBroker.Password, broker.Url);
        if (enableAccess)
        {
            await admin.OkAsync("enable-service-access", broker.Offering, "-b", name);
        }

        return name;
    }
}
