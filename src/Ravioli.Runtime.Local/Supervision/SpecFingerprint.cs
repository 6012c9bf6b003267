using System.Security.Cryptography;
using System.Text.Json;
using Ravioli.Runtime.Local.Persistence;

namespace Ravioli.Runtime.Local.Supervision;

/// <summary>
/// Structural identity of a spec. Record equality compares the environment dictionary by reference, which would
/// make every ApplyAsync look like a change and restart every instance.
/// </summary>
internal static class SpecFingerprint
{
    public static string Of(InstanceSpec spec)
    {
        var canonical = spec with
        {
            Environment = new SortedDictionary<string, string>(spec.Environment.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal),
        };
        return Convert.ToHexString(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(canonical, StateStore.Json)));
    }
}
