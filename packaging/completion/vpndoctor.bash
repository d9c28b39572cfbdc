# bash completion for vpndoctor(1).
# The cause ids and probe names below are filled in at build time from
# `vpndoctor causes --json` and the probe table (packaging/gen-completion.cmake),
# so completion works offline and cannot drift from the catalogue.

_vpndoctor_causes="@VD_CAUSES@"
_vpndoctor_probes="@VD_PROBES@"

_vpndoctor()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null 2>&1; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi

	local commands="status check watch history timeline facts report lint causes explain config fleet"
	local global="--socket --json --help --version"

	# Options taking a value: complete the value.
	case $prev in
	--socket)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--basedir|--directory)
		COMPREPLY=($(compgen -d -- "$cur"))
		return ;;
	--probe|-p)
		COMPREPLY=($(compgen -W "$_vpndoctor_probes" -- "$cur"))
		return ;;
	--tunnel)
		# the tunnels the daemon has a timeline of, when it answers
		COMPREPLY=($(compgen -W "$(vpndoctor timeline --json --since -7d --resolution 1d 2>/dev/null |
			grep -o '"tunnel":"[^"]*"' | cut -d'"' -f4 | sort -u)" -- "$cur"))
		return ;;
	--since|--until|--at|--limit|--machine|--resolution|--record)
		return ;;
	esac

	# The command is the first word that is not an option or an option's value.
	local i cmd="" w
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		case $w in
		--socket) ((i++)) ;;
		-*) ;;
		*) cmd=$w; break ;;
		esac
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$global" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return
	fi

	local opts="--json --help --socket"
	case $cmd in
	status)  opts="$opts --verbose" ;;
	check)   opts="$opts --probe --verbose" ;;
	history) opts="$opts --since --limit" ;;
	timeline) opts="$opts --tunnel --since --until --resolution" ;;
	report)  opts="$opts -o --output --anonymize --no-daemon --profile --record" ;;
	facts)   opts="$opts --tunnel" ;;
	lint)    opts="$opts --at --basedir" ;;
	fleet)   opts="$opts --directory --since --machine" ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	case $cmd in
	explain)
		COMPREPLY=($(compgen -W "$_vpndoctor_causes" -- "$cur")) ;;
	lint)
		# An OpenVPN profile: .ovpn/.conf files and folders to walk into.
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -X '!*.ovpn' -- "$cur") $(compgen -f -X '!*.conf' -- "$cur")
			$(compgen -d -- "$cur")) ;;
	esac
} &&
	complete -F _vpndoctor vpndoctor
