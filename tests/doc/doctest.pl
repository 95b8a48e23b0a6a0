#!/usr/bin/perl
# Docs that cannot drift: runs every command the docs show with its output and
# compares what it prints with what the doc says (in the manner of SimGrid's
# tesh files).  ctest runs it as `doc_test` (tests/CMakeLists.txt).
#
#   tests/doc/doctest.pl [--update] [--keep] BUILD_DIR [FILE.md[:LINE]...]
#
# FILEs default to README.md, docs/*.md and plots/README.md of the source tree
# this script is in; FILE:LINE runs only the block whose fence opens on LINE.
# --update rewrites each mismatching output in the docs with what the program
# printed now (keeping the markers below), for review with `git diff`; run it
# from anywhere after a change that moves numbers.  --keep leaves the scratch
# directories in place and prints their paths.
#
# What is a shown command.  A fenced block (``` with any info string) whose
# first line starts with "$ " is a session: each "$ " line is a command (a line
# ending in "\" continues on the next), and the lines up to the next "$ " line
# are its expected output (stdout and stderr together; none expected when
# there are none).  Other fenced blocks are not run.
#
# Where it runs.  Every doc file gets its own scratch directory that looks like
# the repository root: a symbolic link to each top-level entry of the source
# tree (not build*/, results/ or dot files), build -> BUILD_DIR, and ./dom0sim
# and ./dom0sim-trace -> build/..., as in the repository.  A command runs there
# in a fresh `bash -c` (cwd and variables do not carry over; files do, so a
# later block may read what an earlier block of the same doc wrote), with
# LC_ALL=C, TZ=UTC, DOM0SIM=build/dom0sim, under a 600 s timeout.  Its exit
# status is not compared (the doc does not show it); its output is.
#
# Markers (docs that show output use them only for what depends on the
# machine: wall times, events/s, memory available, temporary paths):
#   ~12.3    a number preceded by "~" matches any number (the doc shows a
#            typical value; --update keeps it);
#   …        (U+2026) inside a line matches any text within that line;
#   a line that is only "…" matches any number of lines, none included.
# --update writes dom0sim's "in N s of wall time" as "~N" by itself.
# Trailing white space is ignored.  A block is not run when the line before
# its fence is <!-- doctest: skip REASON --> (keep this rare, give the reason).
# <!-- doctest: file NAME --> before a block writes the block's text to NAME
# in the scratch directory instead (a spec or scenario a later command reads).
use strict;
use warnings;
use utf8;
use File::Basename qw(dirname);
use File::Spec;
use File::Temp qw(tempdir);
use Cwd qw(abs_path);

binmode STDOUT, ':encoding(UTF-8)';
binmode STDERR, ':encoding(UTF-8)';

my ($update, $keep) = (0, 0);
my @args;
for my $a (@ARGV) {
  if    ($a eq '--update') { $update = 1 }
  elsif ($a eq '--keep')   { $keep   = 1 }
  elsif ($a =~ /^-/) { die "usage: $0 [--update] [--keep] BUILD_DIR [FILE.md[:LINE]...]\n" }
  else { push @args, $a }
}
@args or die "usage: $0 [--update] [--keep] BUILD_DIR [FILE.md[:LINE]...]\n";
my $build = abs_path(shift @args) // die "doctest: no build directory\n";
-x "$build/dom0sim" or die "doctest: $build/dom0sim is not built\n";
my $src = abs_path(dirname(abs_path($0)) . '/../..');

my @files = @args;
@files = ('README.md', (map { File::Spec->abs2rel($_, $src) } sort glob("$src/docs/*.md")),
          'plots/README.md') unless @files;

my $NUM = qr/[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?/;
my ($n_ok, $n_fail, $n_skip, $n_updated) = (0, 0, 0, 0);

for my $spec (@files) {
  my ($file, $only) = $spec =~ /^(.*?)(?::(\d+))?$/;
  run_file($file, $only);
}
printf "doctest: %d commands match, %d differ%s, %d blocks skipped\n", $n_ok, $n_fail,
    $update ? " ($n_updated rewritten)" : '', $n_skip;
exit($n_fail && !$update ? 1 : 0);

sub slurp {
  my ($path) = @_;
  open my $fh, '<:encoding(UTF-8)', $path or die "doctest: $path: $!\n";
  local $/;
  my $t = <$fh>;
  return $t;
}

# The scratch root: the source tree's top level by symbolic links, plus the build.
sub scratch_root {
  my $dir = tempdir('dom0sim-doctest.XXXXXX', TMPDIR => 1, CLEANUP => !$keep);
  opendir my $dh, $src or die "doctest: $src: $!\n";
  for my $e (readdir $dh) {
    next if $e =~ /^\./ || $e =~ /^build/ || $e eq 'results' || $e eq 'dom0sim' ||
            $e eq 'dom0sim-trace';
    symlink("$src/$e", "$dir/$e") or die "doctest: symlink $dir/$e: $!\n";
  }
  closedir $dh;
  symlink($build, "$dir/build") or die "doctest: symlink $dir/build: $!\n";
  symlink("build/$_", "$dir/$_") for qw(dom0sim dom0sim-trace);
  print "doctest: scratch directory $dir\n" if $keep;
  return $dir;
}

# The blocks of a doc: fence line numbers (0-based), annotation, session.
sub parse_blocks {
  my ($lines, $file) = @_;
  my @blocks;
  my $i = 0;
  while ($i < @$lines) {
    if ($lines->[$i] =~ /^(\s*)```/) {
      my $open = $i;
      my $j = $i + 1;
      $j++ while $j < @$lines && $lines->[$j] !~ /^\s*```\s*$/;
      die "doctest: $file:" . ($open + 1) . ": fenced block never closed\n" if $j >= @$lines;
      my $k = $open - 1;
      $k-- while $k >= 0 && $lines->[$k] =~ /^\s*$/;
      my $note = ($k >= 0 && $lines->[$k] =~ /^<!--\s*doctest:\s*(.*?)\s*-->\s*$/) ? $1 : undef;
      push @blocks, { open => $open, close => $j, note => $note };
      $i = $j + 1;
    } else {
      $i++;
    }
  }
  return @blocks;
}

# The commands of a session block: command text, first and last output line.
sub commands {
  my ($lines, $b) = @_;
  my @cmds;
  my $i = $b->{open} + 1;
  while ($i < $b->{close}) {
    my $l = $lines->[$i];
    if ($l =~ /^\$ (.*)$/) {
      my $cmd = $1;
      while ($cmd =~ /\\$/ && $i + 1 < $b->{close}) {
        $i++;
        $cmd .= "\n" . $lines->[$i];
      }
      push @cmds, { cmd => $cmd, line => $i, out_from => $i + 1, out_to => $i };
    } else {
      $cmds[-1]{out_to} = $i;
    }
    $i++;
  }
  return @cmds;
}

sub line_regex {
  my ($exp) = @_;
  my $re = '';
  for my $part (split /(~$NUM|…)/, $exp) {
    if    ($part eq '…')    { $re .= '.*?' }
    elsif ($part =~ /^~/)   { $re .= $NUM }
    else                    { $re .= quotemeta $part }
  }
  return qr/^$re$/;
}

# Does the expected output (with markers) match the actual lines?
sub match_lines {
  my ($exp, $act) = @_;
  my ($ei, $ai) = (0, 0);
  return 1 if !@$exp && !@$act;
  return 0 if !@$exp;
  if ($exp->[0] eq '…') {
    my @rest = @$exp[1 .. $#$exp];
    for my $skip (0 .. @$act) {
      return 1 if match_lines(\@rest, [@$act[$skip .. $#$act]]);
    }
    return 0;
  }
  return 0 if !@$act;
  return 0 unless $act->[0] =~ line_regex($exp->[0]);
  return match_lines([@$exp[1 .. $#$exp]], [@$act[1 .. $#$act]]);
}

# The new text of an expected line that no longer matches: the actual line,
# with "~" put back before the numbers the doc marked (by position among the
# line's numbers, when the two lines have as many numbers).
sub remark {
  my ($exp, $act) = @_;
  if (defined $exp && $exp =~ /~$NUM/) {
    my @e = ($exp =~ /(~?)$NUM/g);
    my @a_nums = ($act =~ /$NUM/g);
    if (@e == @a_nums) {
      my $k = 0;
      $act =~ s/($NUM)/($e[$k++] eq '~' ? '~' : '') . $1/ge;
    }
  }
  # dom0sim's own wall time is always machine-dependent: marked even in a
  # line the doc did not have.
  $act =~ s/ in ~?($NUM) s of wall time/ in ~$1 s of wall time/;
  return $act;
}

sub run_cmd {
  my ($dir, $cmd) = @_;
  my $pid = open(my $fh, '-|') // die "doctest: fork: $!\n";
  if (!$pid) {
    chdir $dir or die "doctest: cd $dir: $!\n";
    $ENV{LC_ALL} = 'C';
    $ENV{TZ} = 'UTC';
    $ENV{DOM0SIM} = 'build/dom0sim';
    delete $ENV{DOM0SIM_SANITIZED};
    open STDERR, '>&', \*STDOUT or die;
    open STDIN, '<', '/dev/null' or die;
    exec 'timeout', '600', 'bash', '-c', $cmd or die "doctest: exec: $!\n";
  }
  local $/;
  my $out = <$fh> // '';
  close $fh;
  utf8::decode($out);
  my @l = split /\n/, $out, -1;
  pop @l if @l && $l[-1] eq '';
  s/\s+$// for @l;
  return @l;
}

sub run_file {
  my ($file, $only) = @_;
  my $path = File::Spec->file_name_is_absolute($file) ? $file : "$src/$file";
  my $text = slurp($path);
  my @lines = split /\n/, $text, -1;
  my @blocks = parse_blocks(\@lines, $file);
  my $dir;
  my %replace;    # first output line -> [last output line, new lines]
  for my $b (@blocks) {
    my $first = $lines[$b->{open} + 1] // '';
    my $note = $b->{note} // '';
    my $is_session = $first =~ /^\$ /;
    next if defined $only && $b->{open} + 1 != $only;
    next unless $is_session || $note =~ /^file\s/;
    $dir //= scratch_root();
    my $where = "$file:" . ($b->{open} + 1);
    if ($note =~ /^file\s+(\S+)$/) {
      my $name = $1;
      open my $fh, '>:encoding(UTF-8)', "$dir/$name" or die "doctest: $where: $name: $!\n";
      print $fh map { "$_\n" } @lines[$b->{open} + 1 .. $b->{close} - 1];
      close $fh;
      next;
    }
    if ($note =~ /^skip\b\s*(.*)$/) {
      die "doctest: $where: a skipped block must say why\n" if $1 eq '';
      print "skip $where: $1\n";
      $n_skip++;
      next;
    }
    die "doctest: $where: unknown annotation '$note'\n" if $note ne '';
    for my $c (commands(\@lines, $b)) {
      my @exp = @lines[$c->{out_from} .. $c->{out_to}];
      s/\s+$// for @exp;
      my @act = run_cmd($dir, $c->{cmd});
      my $label = "$file:" . ($c->{line} + 1) . ": \$ $c->{cmd}";
      if (match_lines(\@exp, \@act)) {
        print "ok   $label\n";
        $n_ok++;
        next;
      }
      $n_fail++;
      print "FAIL $label\n";
      print "  the doc says:\n", map({ "    | $_\n" } @exp), "  it prints:\n",
          map({ "    | $_\n" } @act);
      # The first lines that differ, by position (a "…" line shifts the rest).
      my $shown = 0;
      for my $k (0 .. ($#exp > $#act ? $#exp : $#act)) {
        my ($e, $a) = ($exp[$k], $act[$k]);
        next if defined $e && defined $a && $a =~ line_regex($e);
        last if $shown++ == 5 || (defined $e && $e eq '…');
        printf "  output line %d: the doc says %s, it prints %s\n", $k + 1,
            defined $e ? "'$e'" : 'nothing', defined $a ? "'$a'" : 'nothing';
      }
      if ($update) {
        warn "doctest: $label: the doc's '…' lines are lost, check the diff\n"
            if grep { $_ eq '…' } @exp;
        my @new = map { remark($exp[$_], $act[$_]) } 0 .. $#act;
        $replace{$c->{out_from}} = [$c->{out_to}, \@new];
      }
    }
  }
  return unless $update && %replace;
  my @out;
  for (my $i = 0; $i < @lines; $i++) {
    if (exists $replace{$i}) {
      my ($to, $new) = @{$replace{$i}};
      push @out, @$new;
      if ($to >= $i) {
        $i = $to;
      } else {    # no output was expected: insert before this line
        push @out, $lines[$i];
      }
      next;
    }
    push @out, $lines[$i];
  }
  open my $fh, '>:encoding(UTF-8)', "$path.tmp.$$" or die "doctest: $path: $!\n";
  print $fh join("\n", @out);
  close $fh;
  rename "$path.tmp.$$", $path or die "doctest: rename $path: $!\n";
  $n_updated += keys %replace;
  print "doctest: rewrote $file\n";
}
