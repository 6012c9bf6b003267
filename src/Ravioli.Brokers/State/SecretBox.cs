using System.Security.Cryptography;
using System.Text;
using Ravioli.Brokers.Processes;

namespace Ravioli.Brokers.State;

/// <summary>AES-GCM encryption of secrets at rest, with a 256-bit key kept in a 0600 file beside the state.</summary>
internal sealed class SecretBox
{
    private const string Prefix = "v1:";
    private readonly byte[] _key;

    public SecretBox(string keyFile)
    {
        var encoded = Files.ReadOrCreateSecret(keyFile, () => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        _key = Convert.FromBase64String(encoded);
        if (_key.Length != 32)
        {
            throw new InvalidOperationException($"{keyFile} does not hold a 256-bit key");
        }
    }

    public string Seal(string plaintext)
    {
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var nonce = RandomNumberGenerator.GetBytes(AesGcm.NonceByteSizes.MaxSize);
        var cipher = new byte[plain.Length];
        var tag = new byte[AesGcm.TagByteSizes.MaxSize];
        using (var aes = new AesGcm(_key, tag.Length))
        {
            aes.Encrypt(nonce, plain, cipher, tag);
        }
        return Prefix + Convert.ToBase64String([.. nonce, .. tag, .. cipher]);
    }

    public string Open(string sealedText)
    {
        if (!sealedText.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new CryptographicException("unknown secret format");
        }
        var data = Convert.FromBase64String(sealedText[Prefix.Length..]);
        var nonceSize = AesGcm.NonceByteSizes.MaxSize;
        var tagSize = AesGcm.TagByteSizes.MaxSize;
        var plain = new byte[data.Length - nonceSize - tagSize];
        using (var aes = new AesGcm(_key, tagSize))
        {
            aes.Decrypt(data.AsSpan(0, nonceSize), data.AsSpan(nonceSize + tagSize), data.AsSpan(nonceSize, tagSize), plain);
        }
        return Encoding.UTF8.GetString(plain);
    }
}
