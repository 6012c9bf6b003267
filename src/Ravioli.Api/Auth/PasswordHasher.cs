using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Ravioli.Api.Auth;

/// <summary>PBKDF2-SHA256 with a per-password salt; the iteration count is stored with the hash so it can be raised later.</summary>
public static class PasswordHasher
{
    private const string Scheme = "pbkdf2-sha256";
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> Decoys = new();

    /// <summary>A hash to verify against when the user does not exist, so a wrong username costs as much time as a wrong password.</summary>
    public static string Decoy(int iterations) => Decoys.GetOrAdd(iterations, i => Hash(Guid.NewGuid().ToString(), i));

    public static string Hash(string password, int iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        return string.Join('$', Scheme, iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }

    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var iterations))
        {
            return false;
        }
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(parts[2]), iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
