using System.Security.Cryptography;
using System.Text;

using Ravioli.Core.Security;
namespace Ravioli.Api.Secrets;

/// <summary>Encrypts secrets at rest (env vars, later service credentials) with AES-256-GCM and a key kept in the data directory.</summary>
public sealed class SecretBox
{
    private const string Prefix = "v1:";
    private readonly byte[] _key;

    public SecretBox(byte[] key)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("The secret key must be 32 bytes.", nameof(key));
        }
        _key = key;
    }

    public static SecretBox FromDataDirectory(string dataDirectory) =>
        new(KeyFiles.ReadOrCreate(Path.Combine(KeyFiles.KeysDirectory(dataDirectory), "secrets.key"), () => RandomNumberGenerator.GetBytes(32)));

    public string Seal(string plaintext)
    {
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var sealedBytes = new byte[12 + plain.Length + 16];
        var nonce = sealedBytes.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, 16);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(12, plain.Length), sealedBytes.AsSpan(12 + plain.Length));
        return Prefix + Convert.ToBase64String(sealedBytes);
    }

    public string Open(string sealedText)
    {
        if (!sealedText.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new CryptographicException("Unknown secret format.");
        }
        var bytes = Convert.FromBase64String(sealedText[Prefix.Length..]);
        var plain = new byte[bytes.Length - 28];
        using var aes = new AesGcm(_key, 16);
        aes.Decrypt(bytes.AsSpan(0, 12), bytes.AsSpan(12, plain.Length), bytes.AsSpan(12 + plain.Length), plain);
        return Encoding.UTF8.GetString(plain);
    }
}
