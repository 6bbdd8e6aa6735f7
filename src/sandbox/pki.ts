// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type KeyPair = webcrypto.CryptoKeyPair;

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** PEM files of the local cloud's PKI, all under one directory. */
export interface Pki {
  caCert: string;
  apiserverCert: string;
  apiserverKey: string;
  /** Client certificates, by user (admin, controller-manager, scheduler). */
  clients: Record<'admin' | 'controller-manager' | 'scheduler', { cert: string; key: string }>;
  serviceAccountKey: string;
  serviceAccountPub: string;
  /** The CA certificate in PEM, for kubeconfigs. */
  caPem: string;
}

async function keyPem(keys: KeyPair): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/**
 * Generates a fresh CA, the API server's serving certificate (for 127.0.0.1 and the in-cluster
 * names), client certificates for the admin, controller-manager and scheduler (their groups are
 * what RBAC binds), and the service-account signing key. Keys never leave `dir` (mode 0600).
 */
export async function generatePki(dir: string): Promise<Pki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const now = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  const caKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=bench-sandbox-ca',
    notBefore: now,
    notAfter,
    signingAlgorithm: EC,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  let serial = 2;
  const issue = async (subject: string, usage: 'server' | 'client', san?: x509.JsonGeneralNames) => {
    const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: (serial++).toString(16).padStart(2, '0'),
      subject,
      issuer: ca.subject,
      notBefore: now,
      notAfter,
      signingAlgorithm: EC,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([
          usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
        ]),
        ...(san ? [new x509.SubjectAlternativeNameExtension(san)] : []),
      ],
    });
    return { cert: cert.toString('pem'), key: await keyPem(keys) };
  };

  const server = await issue('CN=kube-apiserver', 'server', [
    { type: 'ip', value: '127.0.0.1' },
    { type: 'ip', value: '10.96.0.1' },
    { type: 'dns', value: 'localhost' },
    { type: 'dns', value: 'kubernetes' },
    { type: 'dns', value: 'kubernetes.default' },
    { type: 'dns', value: 'kubernetes.default.svc' },
    { type: 'dns', value: 'kubernetes.default.svc.cluster.local' },
  ]);
  const admin = await issue('CN=bench-admin, O=system:masters', 'client');
  const cm = await issue('CN=system:kube-controller-manager', 'client');
  const scheduler = await issue('CN=system:kube-scheduler', 'client');
  const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });

  const write = (name: string, pem: string) => {
    const path = join(dir, name);
    writeFileSync(path, pem, { mode: 0o600 });
    return path;
  };
  const caPem = ca.toString('pem');
  return {
    caPem,
    caCert: write('ca.crt', caPem),
    apiserverCert: write('apiserver.crt', server.cert),
    apiserverKey: write('apiserver.key', server.key),
    clients: {
      admin: { cert: write('admin.crt', admin.cert), key: write('admin.key', admin.key) },
      'controller-manager': {
        cert: write('controller-manager.crt', cm.cert),
        key: write('controller-manager.key', cm.key),
      },
      scheduler: { cert: write('scheduler.crt', scheduler.cert), key: write('scheduler.key', scheduler.key) },
    },
    serviceAccountKey: write('sa.key', sa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
    serviceAccountPub: write('sa.pub', sa.publicKey.export({ type: 'spki', format: 'pem' }).toString()),
  };
}
