#!/bin/bash
# Generates a throwaway test PKI and OpenVPN client profiles, good and broken,
# for the lint tests:  mkprofiles.sh OUTDIR
# With --sample OUTDIR it writes only the long-lived demo set (CA, client cert
# valid until 2045, key, sample.ovpn) that tests/data/sample/ holds.
# EC P-256 keys keep it fast; only the "weak" case uses RSA-1024 with SHA-1.
set -eu

sample=0
if [ "${1:-}" = "--sample" ]; then
	sample=1
	shift
fi
if [ $# -ne 1 ]; then
	echo "usage: $0 [--sample] OUTDIR" >&2
	exit 64
fi
out=$1
mkdir -p "$out"
cd "$out"
export OPENSSL_CONF=/dev/null

ossl() { openssl "$@" 2>/dev/null; }
# every date from one reading of the clock, DAYS from it: two readings a
# second apart made "a year from yesterday" a second longer than a year
base=$(date +%s)
when() { date -u -d "@$((base + $1 * 86400))" +%Y%m%d%H%M%SZ; } # DAYS

mkdir -p .ca
: > .ca/index.txt
cat > .ca/ca.cnf <<'EOF'
[ ca ]
default_ca = testca
[ testca ]
database = .ca/index.txt
new_certs_dir = .ca
serial = .ca/serial
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = supplied
[ v3_ca ]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ v3_client ]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
serial=4096

eckey() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

# sign NAME CN KEY CACRT CAKEY START END [MD] [EXT]: a certificate for KEY
# (CACRT "self" makes a self-signed CA).
sign() {
	local name=$1 cn=$2 key=$3 cacrt=$4 cakey=$5 start=$6 end=$7 md=${8:-sha256} ext=${9:-v3_client}
	serial=$((serial + 1))
	printf '%X\n' "$serial" > .ca/serial
	ossl req -new -key "$key" -subj "/CN=$cn" -out ".ca/$name.csr"
	if [ "$cacrt" = self ]; then
		ossl ca -batch -config .ca/ca.cnf -selfsign -keyfile "$key" -md "$md" \
			-extensions "$ext" -startdate "$start" -enddate "$end" -notext \
			-in ".ca/$name.csr" -out "$name"
	else
		ossl ca -batch -config .ca/ca.cnf -cert "$cacrt" -keyfile "$cakey" -md "$md" \
			-extensions "$ext" -startdate "$start" -enddate "$end" -notext \
			-in ".ca/$name.csr" -out "$name"
	fi
}

inline() { # inline TAG FILE
	printf '<%s>\n' "$1"
	cat "$2"
	printf '</%s>\n' "$1"
}

head_conf() { # head_conf [cipher lines...]
	cat <<'EOF'
# vpndoctor test profile (throwaway PKI)
client
dev tun
proto udp
remote vpn.example.test 1194
resolv-retry infinite
nobind
persist-key
persist-tun
remote-cert-tls server
verb 3
EOF
}

if [ $sample = 1 ]; then
	eckey ca.key
	sign ca.crt "vpndoctor sample CA" ca.key self x 20250101000000Z 20450101000000Z sha256 v3_ca
	eckey client.key
	sign client.crt "vpndoctor sample client" client.key ca.crt ca.key 20250101000000Z 20450101000000Z
	rm -f ca.key # nothing signs with it again: keep no CA key in the tree
	{
		head_conf
		echo "ca ca.crt"
		echo "cert client.crt"
		echo "key client.key"
	} > sample.ovpn
	rm -rf .ca
	exit 0
fi

now=$(when 0)
past=$(when -400)
yesterday=$(when -1)
year=$(when 365)

eckey ca.key
sign ca.crt "vpndoctor test CA" ca.key self x "$past" "$(when 3650)" sha256 v3_ca
eckey wrongca.key
sign wrongca.crt "vpndoctor other CA" wrongca.key self x "$past" "$(when 3650)" sha256 v3_ca

eckey client.key
sign client.crt "client valid" client.key ca.crt ca.key "$yesterday" "$year"
sign expired.crt "client expired" client.key ca.crt ca.key "$past" "$(when -30)"
sign notyet.crt "client not yet valid" client.key ca.crt ca.key "$(when 30)" "$(when 400)"
sign expiring.crt "client expiring" client.key ca.crt ca.key "$yesterday" "$(when 5)"
eckey other.key
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out weak.key
sign weak.crt "client weak" weak.key ca.crt ca.key "$yesterday" "$year" sha1
sign sha1.crt "client sha1" client.key ca.crt ca.key "$yesterday" "$year" sha1

ossl pkey -in client.key -aes256 -passout pass:secret -out encrypted.key
ossl pkey -in client.key -out client.der -outform DER
ossl ec -in client.key -aes128 -passout pass:secret -out encrypted-trad.key
ossl x509 -in client.crt -out client-crt.der -outform DER
ossl pkcs12 -export -inkey client.key -in client.crt -certfile ca.crt -passout pass: -out client.p12
ossl pkcs12 -export -inkey client.key -in client.crt -certfile ca.crt -passout pass:secret -out client-pass.p12
# no CA certificate inside: the split must cope with an empty CA part
ossl pkcs12 -export -inkey client.key -in client.crt -passout pass: -out client-noca.p12
base64 -w 64 client.p12 > client.p12.b64
printf 'this is not a certificate\n' > garbage.crt
openvpn --genkey secret ta.key >/dev/null
head -n 10 ta.key > ta-short.key
printf 'alice\nsecret\n' > auth.txt
cat ca.crt wrongca.crt > bundle.crt
mkdir -p sub
cp ca.crt client.crt client.key sub/

files() { # files CERT KEY [CA]
	echo "ca ${3:-ca.crt}"
	echo "cert $1"
	echo "key $2"
}

{ head_conf; echo "key-direction 1"; inline ca ca.crt; inline cert client.crt
  inline key client.key; inline tls-auth ta.key; } > valid-inline.ovpn
{ head_conf; files client.crt client.key; echo "tls-auth ta.key 1"; } > valid-files.ovpn
{ head_conf; echo "cd sub"; files client.crt client.key; } > valid-cd.ovpn
{ head_conf; files client.crt client.key bundle.crt; } > valid-bundle.ovpn
{ head_conf; echo "ca [inline]"; inline ca ca.crt; files client.crt client.key | sed 1d; } > valid-marker.ovpn
{ head_conf; files client.crt client.key; echo "auth-user-pass auth.txt"; } > valid-auth.ovpn
{ head_conf; files expired.crt client.key; } > expired.ovpn
{ head_conf; files notyet.crt client.key; } > notyet.ovpn
{ head_conf; files expiring.crt client.key; } > expiring.ovpn
{ head_conf; files client.crt client.key wrongca.crt; } > wrong-ca.ovpn
{ head_conf; files client.crt other.key; } > mismatch.ovpn
{ head_conf; files client.crt client.key nothere.crt; } > missing-file.ovpn
{ head_conf | grep -v '^remote '; files client.crt client.key; } > no-remote.ovpn
{ head_conf | grep -v '^client'; files client.crt client.key; } > no-client.ovpn
{ head_conf; files client.crt encrypted.key; } > encrypted-key.ovpn
{ head_conf; files weak.crt weak.key; } > weak.ovpn
{ head_conf; files sha1.crt client.key; } > weak-digest.ovpn
{ head_conf; files garbage.crt client.key; } > not-cert.ovpn
{ head_conf; files client.crt garbage.crt; } > not-key.ovpn
{ head_conf; echo "ca ca.crt"; } > no-cert.ovpn
{ head_conf; echo "cert client.crt"; echo "key client.key"; } > no-ca.ovpn
{ head_conf; files client.crt client.key; echo "tls-auth ta-short.key 1"; } > bad-tls-auth.ovpn
{ head_conf; files client.crt client.key; echo "frobnicate yes"; } > unknown-directive.ovpn
{ head_conf; echo "pkcs12 client.p12"; } > pkcs12.ovpn
{ head_conf; inline pkcs12 client.p12.b64; } > pkcs12-inline.ovpn
{ head_conf; echo "pkcs12 client-pass.p12"; } > pkcs12-pass.ovpn
{ head_conf; printf '<ca>\n'; cat ca.crt; } > unterminated.ovpn
# The SSL-VPN profile Alibaba Cloud hands out: CBC cipher and LZO framing.
cat > alibaba.ovpn <<'EOF'
client
dev tun
proto udp
remote 198.51.100.7 1194
ca ca.crt
cert client.crt
key client.key
persist-key
persist-tun
resolv-retry infinite
nobind
keepalive 10 60
cipher AES-128-CBC
comp-lzo
verb 3
EOF
rm -rf .ca
echo "$now" > generated-at
