using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Ravioli.Api.Apis;
using Ravioli.Api.Auth;
using Ravioli.Api.Secrets;
using Ravioli.Core.Tenancy;
using Ravioli.Store;
using Ravioli.Store.Entities;

using Ravioli.Core.Security;
namespace Ravioli.Api;

/// <summary>What the first start (and every start) makes sure of: the schema is current, the default quota and the admin exist.</summary>
public static class Bootstrap
{
    public const string AdminUsername = "admin";

    /// <summary>Where the admin password came from, for the "platform is up" line.</summary>
    public sealed record Result(string AdminPasswordSource);

    public static async Task<Result> InitializeAsync(IServiceProvider services, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<RavioliDb>();
        var options = scope.ServiceProvider.GetRequiredService<IOptions<RavioliApiOptions>>().Value;
        await StoreSetup.MigrateAsync(db, ct: ct);
        // Create (or load) the signing and secret keys now, so a bad data directory fails the start, not the first login.
        _ = scope.ServiceProvider.GetRequiredService<TokenService>();
        _ = scope.ServiceProvider.GetRequiredService<SecretBox>();

        if (!await db.OrganizationQuotas.AnyAsync(q => q.Name == OrganizationsApi.DefaultQuotaName, ct))
        {
            db.OrganizationQuotas.Add(new OrganizationQuotaEntity { Name = OrganizationsApi.DefaultQuotaName });
        }

        // The shared apps domain every org can put routes on.
        if (!await db.Domains.AnyAsync(d => d.Name == options.AppsDomain, ct))
        {
            db.Domains.Add(new DomainEntity { Name = options.AppsDomain });
        }

        var passwordFile = Path.Combine(options.DataDirectory, "admin-password");
        var source = options.AdminPassword.Length > 0 ? "RAVIOLI_ADMIN_PASSWORD" : passwordFile;
        if (!await db.Users.AnyAsync(u => u.UsernameKey == AdminUsername, ct))
        {
            var password = options.AdminPassword;
            if (password.Length == 0)
            {
                password = File.Exists(passwordFile)
                    ? (await File.ReadAllTextAsync(passwordFile, ct)).Trim()
                    : Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', 'x').Replace('/', 'y');
                KeyFiles.WriteOwnerOnly(passwordFile, Encoding.UTF8.GetBytes(password + "\n"));
            }
            db.Users.Add(new UserEntity
            {
                Username = AdminUsername,
                UsernameKey = Names.UsernameKey(AdminUsername),
                PasswordHash = PasswordHasher.Hash(password, options.PasswordIterations),
                Admin = true,
            });
        }
        await db.SaveChangesAsync(ct);
        // Before the API listens, so no upload or staging of this process can be mistaken for a leftover.
        await Recovery.StartupRecovery.RunAsync(services, ct);
        return new Result(source);
    }
}
