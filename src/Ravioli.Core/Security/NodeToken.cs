using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Ravioli.Core.Security;

/// <summary>
/// The shared secret between the control plane and the node agent: generated per installation by
/// whichever starts first, kept 0600 beside the other keys, compared in constant time.
/// </summary>
public sealed class NodeToken(byte[] value)
{
    public string Value { get; } = Base64Url.EncodeToString(value);

    public static NodeToken FromDataDirectory(string dataDirectory) =>
        new(KeyFiles.ReadOrCreate(Path.Combine(KeyFiles.KeysDirectory(dataDirectory), "node-token"), () => RandomNumberGenerator.GetBytes(32)));

    public bool Matches(string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(Value));

    /// <summary>Checks an Authorization header of the form "Bearer TOKEN".</summary>
    public bool MatchesHeader(string? authorization) =>
        authorization is not null && authorization.StartsWith("Bearer ", StringComparison.Ordinal) && Matches(authorization[7..]);
}
